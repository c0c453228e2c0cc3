/* Private to lib/report/: an order-statistic tree (a treap) over the
 * slots of a ring, for the rolling window of --follow (roll.c).  Each slot
 * holds a key and a class bit ("up"); the tree answers how many keys, and
 * how many of them up, lie below a key, and which key has rank k, each in
 * O(log n) expected.  Keys are ordered by (key, slot), so equal keys are
 * kept apart.  The caller owns the struct; cmt_bt_rank_init allocates the
 * slots (32 bytes each) and cmt_bt_rank_free releases them. */
#ifndef CMT_REPORT_RANKTREE_H
#define CMT_REPORT_RANKTREE_H

#include <stddef.h>
#include <stdint.h>

struct cmt_bt_rank_node {
	double key;
	int32_t l, r;            /* children: nodes, 0 for none */
	uint32_t size, ups;      /* of the subtree */
	uint32_t prio;
	uint8_t up;
};

struct cmt_bt_rank {
	struct cmt_bt_rank_node *node;   /* slot s is node s + 1 */
	int32_t root;
	uint32_t seed;
};

/* 0, or -1 when out of memory; room for slots 0 .. n - 1 (n < 2^31). */
int cmt_bt_rank_init(struct cmt_bt_rank *t, size_t n);
void cmt_bt_rank_free(struct cmt_bt_rank *t);

/* Put slot (not in the tree) in with key and class up; take it out. */
void cmt_bt_rank_insert(struct cmt_bt_rank *t, int32_t slot, double key,
	int up);
void cmt_bt_rank_remove(struct cmt_bt_rank *t, int32_t slot);

/* The key and class of a slot in the tree. */
double cmt_bt_rank_key(const struct cmt_bt_rank *t, int32_t slot);
int cmt_bt_rank_up(const struct cmt_bt_rank *t, int32_t slot);

/* Keys in the tree, and of them up. */
uint32_t cmt_bt_rank_size(const struct cmt_bt_rank *t);
uint32_t cmt_bt_rank_ups(const struct cmt_bt_rank *t);

/* How many keys, and how many of them up, are below key (< key) and up
 * to it (<= key), in one descent. */
struct cmt_bt_rank_count {
	uint32_t n, ups;
};
void cmt_bt_rank_around(const struct cmt_bt_rank *t, double key,
	struct cmt_bt_rank_count *below, struct cmt_bt_rank_count *upto);

/* The key of rank k, 0-based, k < size. */
double cmt_bt_rank_kth(const struct cmt_bt_rank *t, uint32_t k);

#endif
