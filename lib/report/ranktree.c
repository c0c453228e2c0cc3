/* An order-statistic treap over ring slots (ranktree.h).  Random
 * priorities (a fixed xorshift sequence, so runs are repeatable) keep it
 * balanced in expectation; split and merge do the work. */
#include <stdlib.h>

#include "ranktree.h"

#define NONE (-1)

static uint32_t
size_of(const struct cmt_bt_rank_node *n, int32_t i)
{
	return i == NONE ? 0 : n[i].size;
}

static uint32_t
ups_of(const struct cmt_bt_rank_node *n, int32_t i)
{
	return i == NONE ? 0 : n[i].ups;
}

static void
pull(struct cmt_bt_rank_node *n, int32_t i)
{
	n[i].size = 1 + size_of(n, n[i].l) + size_of(n, n[i].r);
	n[i].ups = n[i].up + ups_of(n, n[i].l) + ups_of(n, n[i].r);
}

/* (key, slot) comes before node i */
static int
before(const struct cmt_bt_rank_node *n, double key, int32_t slot, int32_t i)
{
	return key < n[i].key || (key == n[i].key && slot < i);
}

/* a: the nodes of i before (key, slot); b: the others */
static void
split(struct cmt_bt_rank_node *n, int32_t i, double key, int32_t slot,
	int32_t *a, int32_t *b)
{
	if (i == NONE) {
		*a = *b = NONE;
		return;
	}
	if (before(n, key, slot, i)) {
		split(n, n[i].l, key, slot, a, &n[i].l);
		*b = i;
	} else {
		split(n, n[i].r, key, slot, &n[i].r, b);
		*a = i;
	}
	pull(n, i);
}

/* every node of a before every node of b */
static int32_t
merge(struct cmt_bt_rank_node *n, int32_t a, int32_t b)
{
	if (a == NONE)
		return b;
	if (b == NONE)
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

static int32_t
erase(struct cmt_bt_rank_node *n, int32_t i, int32_t slot)
{
	if (i == slot)
		return merge(n, n[i].l, n[i].r);
	if (before(n, n[slot].key, slot, i))
		n[i].l = erase(n, n[i].l, slot);
	else
		n[i].r = erase(n, n[i].r, slot);
	pull(n, i);
	return i;
}

int
cmt_bt_rank_init(struct cmt_bt_rank *t, size_t n)
{
	t->root = NONE;
	t->seed = 2463534242u;
	t->node = malloc((n ? n : 1) * sizeof *t->node);
	return t->node ? 0 : -1;
}

void
cmt_bt_rank_free(struct cmt_bt_rank *t)
{
	free(t->node);
	t->node = NULL;
}

/* Down to where slot's priority puts it, then split what is there. */
static int32_t
put(struct cmt_bt_rank_node *n, int32_t i, int32_t slot)
{
	if (i == NONE)
		return slot;
	if (n[slot].prio > n[i].prio) {
		split(n, i, n[slot].key, slot, &n[slot].l, &n[slot].r);
		pull(n, slot);
		return slot;
	}
	if (before(n, n[slot].key, slot, i))
		n[i].l = put(n, n[i].l, slot);
	else
		n[i].r = put(n, n[i].r, slot);
	pull(n, i);
	return i;
}

void
cmt_bt_rank_insert(struct cmt_bt_rank *t, int32_t slot, double key, int up)
{
	t->seed ^= t->seed << 13;
	t->seed ^= t->seed >> 17;
	t->seed ^= t->seed << 5;
	t->node[slot] = (struct cmt_bt_rank_node){ key, NONE, NONE, 1,
		(uint32_t)(up != 0), t->seed, (uint8_t)(up != 0) };
	t->root = put(t->node, t->root, slot);
}

void
cmt_bt_rank_remove(struct cmt_bt_rank *t, int32_t slot)
{
	t->root = erase(t->node, t->root, slot);
}

uint32_t
cmt_bt_rank_size(const struct cmt_bt_rank *t)
{
	return size_of(t->node, t->root);
}

uint32_t
cmt_bt_rank_ups(const struct cmt_bt_rank *t)
{
	return ups_of(t->node, t->root);
}

/* node i and the keys before it in its subtree */
static void
count_through(const struct cmt_bt_rank_node *n, int32_t i,
	struct cmt_bt_rank_count *c)
{
	c->n += size_of(n, n[i].l) + 1;
	c->ups += ups_of(n, n[i].l) + n[i].up;
}

/* the keys of subtree i below key (or up to it, or_equal) into c */
static void
count_below(const struct cmt_bt_rank_node *n, int32_t i, double key,
	int or_equal, struct cmt_bt_rank_count *c)
{
	while (i != NONE) {
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
	const struct cmt_bt_rank_node *n = t->node;
	int32_t i = t->root;

	/* one path while the keys differ from key; from the first equal
	 * one, "below" goes on left of it and "up to" right */
	below->n = below->ups = 0;
	while (i != NONE && n[i].key != key) {
		if (n[i].key < key) {
			count_through(n, i, below);
			i = n[i].r;
		} else {
			i = n[i].l;
		}
	}
	*upto = *below;
	if (i != NONE) {
		count_through(n, i, upto);
		count_below(n, n[i].l, key, 0, below);
		count_below(n, n[i].r, key, 1, upto);
	}
}

double
cmt_bt_rank_kth(const struct cmt_bt_rank *t, uint32_t k)
{
	const struct cmt_bt_rank_node *n = t->node;
	int32_t i = t->root;

	while (i != NONE) {
		uint32_t left = size_of(n, n[i].l);

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
