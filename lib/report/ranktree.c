/* An order-statistic treap over ring slots (ranktree.h).  Random
 * priorities (a fixed xorshift sequence, so runs are repeatable) keep it
 * balanced in expectation; split and merge do the work.  Slot s is node
 * s + 1: node 0 is an empty subtree (size 0), so no step asks whether a
 * child is there, and a descent has few branches to mispredict. */
#include <stdlib.h>

#include "ranktree.h"

#define NIL 0

typedef struct cmt_bt_rank_node node;

static void
pull(node *n, int32_t i)
{
	n[i].size = 1 + n[n[i].l].size + n[n[i].r].size;
	n[i].ups = n[i].up + n[n[i].l].ups + n[n[i].r].ups;
}

/* (key, node j) comes before node i */
static int
before(const node *n, double key, int32_t j, int32_t i)
{
	return key < n[i].key || (key == n[i].key && j < i);
}

/* a: the nodes of i before (key, j); b: the others */
static void
split(node *n, int32_t i, double key, int32_t j, int32_t *a, int32_t *b)
{
	if (i == NIL) {
		*a = *b = NIL;
		return;
	}
	if (before(n, key, j, i)) {
		split(n, n[i].l, key, j, a, &n[i].l);
		*b = i;
	} else {
		split(n, n[i].r, key, j, &n[i].r, b);
		*a = i;
	}
	pull(n, i);
}

/* every node of a before every node of b */
static int32_t
merge(node *n, int32_t a, int32_t b)
{
	if (a == NIL)
		return b;
	if (b == NIL)
		return a;
	if (n[a].prio > n[b].prio) {
		n[a].r = merge(n, n[a].r, b);
		pull(n, a);
		return a;
	}
	n[b].l = merge(n, a, n[b].l);
	pull(n, b);
	return b;
}

int
cmt_bt_rank_init(struct cmt_bt_rank *t, size_t n)
{
	t->root = NIL;
	t->seed = 2463534242u;
	if (!(t->node = calloc(n + 1, sizeof *t->node)))
		return -1;
	return 0;
}

void
cmt_bt_rank_free(struct cmt_bt_rank *t)
{
	free(t->node);
	t->node = NULL;
}

/* Down from the root, each node on the way gaining (or losing) node j's
 * count, to where j's priority puts it (insert) or j is (remove). */
void
cmt_bt_rank_insert(struct cmt_bt_rank *t, int32_t slot, double key, int up)
{
	node *n = t->node;
	int32_t j = slot + 1, *link = &t->root;

	t->seed ^= t->seed << 13;
	t->seed ^= t->seed >> 17;
	t->seed ^= t->seed << 5;
	n[j] = (node){ key, NIL, NIL, 1, (uint32_t)(up != 0), t->seed,
		(uint8_t)(up != 0) };
	while (*link != NIL && n[*link].prio >= n[j].prio) {
		n[*link].size++;
		n[*link].ups += n[j].up;
		link = before(n, key, j, *link) ? &n[*link].l : &n[*link].r;
	}
	split(n, *link, key, j, &n[j].l, &n[j].r);
	pull(n, j);
	*link = j;
}

void
cmt_bt_rank_remove(struct cmt_bt_rank *t, int32_t slot)
{
	node *n = t->node;
	int32_t j = slot + 1, *link = &t->root;

	while (*link != j) {
		n[*link].size--;
		n[*link].ups -= n[j].up;
		link = before(n, n[j].key, j, *link) ? &n[*link].l :
			&n[*link].r;
	}
	*link = merge(n, n[j].l, n[j].r);
}

double
cmt_bt_rank_key(const struct cmt_bt_rank *t, int32_t slot)
{
	return t->node[slot + 1].key;
}

int
cmt_bt_rank_up(const struct cmt_bt_rank *t, int32_t slot)
{
	return t->node[slot + 1].up;
}

uint32_t
cmt_bt_rank_size(const struct cmt_bt_rank *t)
{
	return t->node[t->root].size;
}

uint32_t
cmt_bt_rank_ups(const struct cmt_bt_rank *t)
{
	return t->node[t->root].ups;
}

/* node i and the keys before it in its subtree into c */
static void
count_through(const node *n, int32_t i, struct cmt_bt_rank_count *c)
{
	c->n += n[n[i].l].size + 1;
	c->ups += n[n[i].l].ups + n[i].up;
}

/* the keys of subtree i below key (or up to it, or_equal) into c */
static void
count_below(const node *n, int32_t i, double key, int or_equal,
	struct cmt_bt_rank_count *c)
{
	while (i != NIL) {
		if (n[i].key < key || (or_equal && n[i].key == key)) {
			count_through(n, i, c);
			i = n[i].r;
		} else {
			i = n[i].l;
		}
	}
}

void
cmt_bt_rank_around(const struct cmt_bt_rank *t, double key,
	struct cmt_bt_rank_count *below, struct cmt_bt_rank_count *upto)
{
	const node *n = t->node;
	int32_t i = t->root;

	/* one path while the keys differ from key; from the first equal
	 * one, "below" goes on left of it and "up to" right */
	below->n = below->ups = 0;
	while (i != NIL && n[i].key != key) {
		if (n[i].key < key) {
			count_through(n, i, below);
			i = n[i].r;
		} else {
			i = n[i].l;
		}
	}
	*upto = *below;
	if (i != NIL) {
		count_through(n, i, upto);
		count_below(n, n[i].l, key, 0, below);
		count_below(n, n[i].r, key, 1, upto);
	}
}

double
cmt_bt_rank_kth(const struct cmt_bt_rank *t, uint32_t k)
{
	const node *n = t->node;
	int32_t i = t->root;

	while (i != NIL) {
		uint32_t left = n[n[i].l].size;

		if (k < left) {
			i = n[i].l;
		} else if (k == left) {
			return n[i].key;
		} else {
			k -= left + 1;
			i = n[i].r;
		}
	}
	return 0;   /* k out of range: not reached by callers */
}
