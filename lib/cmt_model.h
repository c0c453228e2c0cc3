/* Forecast models: the JSON model file (load, validate, save), inference
 * on one feature vector, and where the default model lives.  A model is a
 * stack of dense layers over standardised features, "mlp" (ReLU hidden
 * layers, sigmoid output) or "logreg" (one sigmoid layer), or "trees", a
 * sum of regression trees (gradient boosting) over the raw features.
 * Either gives a margin (a logit); p_up is its sigmoid, after a Platt
 * scaling when the model carries one.  A model reads the features it
 * names as its inputs, a subset of its feature set's vector members (e.g.
 * all but vol_trend for a price-only model), found by name in the vector;
 * the rest are ignored, null or not.  A trees model may name inputs that
 * may be null: they follow each split's learned missing-value branch.
 * The caller owns a loaded model and frees it with cmt_model_free;
 * inference never allocates. */
#ifndef CMT_MODEL_H
#define CMT_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cmt_err.h"
#include "cmt_fvec.h"

#define CMT_MODEL_VERSION 3   /* written; versions 1 and 2 are read too */
#define CMT_MODEL_MAX_LAYERS 8
#define CMT_MODEL_MAX_WIDTH 256
#define CMT_MODEL_NAME_MAX 64       /* [A-Za-z0-9._-], including the NUL */
#define CMT_MODEL_FS_MAX 512
#define CMT_MODEL_FEATNAME_MAX 32
#define CMT_MODEL_FILE_MAX (16 << 20)
#define CMT_MODEL_MAX_TREES 4096
#define CMT_MODEL_MAX_NODES (1 << 20)   /* all trees together */
#define CMT_MODEL_FLAT_DEPTH 8

enum cmt_act { CMT_ACT_RELU, CMT_ACT_TANH, CMT_ACT_LINEAR, CMT_ACT_SIGMOID };

struct cmt_layer {
	int in, out;
	enum cmt_act act;
	double *w;   /* in x out, input-major: w[j * out + i] feeds unit i */
	double *b;   /* out */
};

/* One node of a tree.  A split sends x (the vector's feature number feat,
 * in single precision, as XGBoost compares it) to node yes when x < v,
 * to no otherwise, and to miss (yes or no) when x is null; a leaf (leaf
 * 1) adds v to the margin.  Nodes are numbered within their tree, each
 * child after its parent. */
struct cmt_tnode {
	float v;                            /* threshold, or leaf value */
	uint16_t feat;                      /* position in feature[] */
	uint16_t leaf;
	int32_t yes, no, miss;
};

/* A split of the fast layout: one load. */
struct cmt_flat_node {
	float thr;
	uint16_t feat;
	uint8_t right_if_null;
};

struct cmt_model {
	char name[CMT_MODEL_NAME_MAX];
	char kind[8];                       /* "mlp", "logreg" or "trees" */
	char fs[CMT_MODEL_FS_MAX];          /* feature-set id trained on */
	int nfeature;                       /* the set's features: */
	char feature[CMT_FEAT_N][CMT_MODEL_FEATNAME_MAX]; /* vector order */
	int ninput;                         /* the model's inputs: */
	int input[CMT_FEAT_N];              /* positions in feature[], in input order */
	int64_t horizon_ms;                 /* what p_up is about */
	/* trees only: inputs that may be null (by position in feature[]) */
	unsigned char nullable[CMT_FEAT_N];
	/* Platt scaling: p = sigmoid(cal_a * margin + cal_b) when calibrated */
	int calibrated;
	double cal_a, cal_b;
	/* dense kinds */
	double mean[CMT_FEAT_N], std[CMT_FEAT_N]; /* per input */
	int nlayers;
	struct cmt_layer layer[CMT_MODEL_MAX_LAYERS];
	size_t nparams;
	double *params;                     /* all w and b, one block */
	/* trees: tree i is node[root[i]] and the nodes after it */
	int ntrees;
	size_t nnodes;
	int32_t *root;
	struct cmt_tnode *node;
	double base_margin;                 /* added to the leaves' sum */
	/* trees of depth <= CMT_MODEL_FLAT_DEPTH, also laid out as perfect
	 * trees of depth flat_depth (shallower leaves copied down), node i's
	 * children 2i+1 and 2i+2: a walk of fixed length, no branch
	 * (cmt_model_finish_trees); flat_depth 0 when too deep */
	int flat_depth;
	struct cmt_flat_node *flat_node;    /* per tree 2^d - 1 splits */
	float *flat_leaf;                   /* per tree 2^d leaves */
	char *card;                         /* model card: JSON object text */
	double (*margin_fn)(struct cmt_model *m, const double *x); /* by kind */
	double act[2][CMT_MODEL_MAX_WIDTH]; /* inference scratch */
};

/* A zeroed model of the given kind with layer widths width[0..nwidth-1]
 * (width[0] = the number of inputs, 1 to CMT_FEAT_N, last = 1; hidden
 * layers ReLU, output sigmoid; "logreg" has no hidden layer).  Its inputs
 * are the first width[0] features (nfeature = width[0]) until the caller
 * sets feature[], nfeature and input[].  mean 0, std 1, no card. */
enum cmt_err cmt_model_create(const char *kind, const int *width, int nwidth,
	struct cmt_model **out, char *err);

/* A "trees" model with room for ntrees trees of nnodes nodes in all,
 * zeroed: no inputs, no card.  The caller fills root[], node[], the
 * inputs, nullable[] and the feature set, then calls
 * cmt_model_finish_trees. */
enum cmt_err cmt_model_create_trees(int ntrees, size_t nnodes,
	struct cmt_model **out, char *err);

/* Check the trees (children later nodes of the same tree, every node but
 * a root reached once, splits on inputs) and lay them out for a fast
 * walk; CMT_EVALUE naming the node, or CMT_ENOMEM. */
enum cmt_err cmt_model_finish_trees(struct cmt_model *m, char *err);

/* Read and validate a model file: format and version, kind, feature set
 * and names (1 to CMT_FEAT_N "feature_names"; version 1: 11), inputs
 * (version 2: "inputs", distinct names among "feature_names"; version 1:
 * all features), standardisation (one finite
 * mean and std > 0 per input), layer shapes chaining from the number of
 * inputs to 1, finite weights, known activations, sigmoid output.  On any
 * problem *out stays NULL and err names it. */
enum cmt_err cmt_model_load(const char *path, struct cmt_model **out,
	char *err);

/* The same from a document already in memory (len bytes). */
enum cmt_err cmt_model_parse(const char *text, size_t len,
	struct cmt_model **out, char *err);

/* Write the model as JSON: to f, or atomically to path (a temporary file
 * renamed over it).  Numbers are written with 17 digits, so a saved model
 * loads back bit for bit. */
enum cmt_err cmt_model_write(const struct cmt_model *m, FILE *f, char *err);
enum cmt_err cmt_model_save(const struct cmt_model *m, const char *path,
	char *err);

void cmt_model_free(struct cmt_model *m);

/* P(up) for the model's nfeature raw (unstandardised) features in x, in
 * its feature[] order (cmt_model_gather from a wider vector); only the
 * model's inputs are read and they must be finite, but for a trees
 * model's nullable inputs, which may be NaN (cmt_model_can_score).  The
 * sigmoid of the margin, through the Platt scaling when m->calibrated.
 * Uses m->act as scratch: one model per thread. */
double cmt_model_predict(struct cmt_model *m, const double *x);

/* The margin alone (the logit before calibration). */
double cmt_model_margin(struct cmt_model *m, const double *x);

/* 1 if every input of m is finite in x, but for nullable inputs (the
 * other features may be null). */
int cmt_model_can_score(const struct cmt_model *m, const double *x);

/* Of the n models m[], the first that can score x, or -1: a pair such as
 * the shipped default and its price-only twin scores every vector that
 * either can. */
int cmt_model_pick(struct cmt_model *const *m, int n, const double *x);

/* What --info prints: name, kind, file, feature set, horizon, layers,
 * features, inputs and the card. */
void cmt_model_describe(const struct cmt_model *m, const char *path,
	FILE *f);

/* Position of the feature called name in m->feature[], or -1. */
int cmt_model_feature_index(const struct cmt_model *m, const char *name);

/* One layer's steps, shared by inference and training so that both do
 * the same arithmetic in the same order: out = W in + b, then the
 * activation in place. */
void cmt_model_affine(const struct cmt_layer *ly, const double *restrict in,
	double *restrict out);
void cmt_model_activate(enum cmt_act act, double *v, int n);

/* Where m's features are in vectors of feature set fs whose n features
 * are named names[0..n-1]: map[i] is the position of m->feature[i] in
 * the vector, -1 if the vector lacks it (never one of the model's
 * inputs).  The vectors' set must be the model's, its features named as
 * the model names them, in that order; or a set that contains the
 * model's (cmt_fs_contains: the same base, the model's extension parts
 * and more), where the model's features are found by name.  Names are
 * compared in their canonical spelling.  Returns CMT_OK and sets
 * *same (may be NULL) to 1 when the map is the identity on vectors of
 * exactly the model's features; CMT_EMISMATCH, naming both ids or the
 * feature, when m cannot read such vectors. */
enum cmt_err cmt_model_bind(const struct cmt_model *m, struct cmt_slice fs,
	const struct cmt_slice *names, int n, int *map, int *same, char *err);

/* m's features from a vector's vx through map (cmt_model_bind) into x,
 * in m's order; NAN where the vector lacks one. */
void cmt_model_gather(const struct cmt_model *m, const int *map,
	const double *vx, double *x);

/* 1 if s is a valid model name: [A-Za-z0-9._-], 1 to
 * CMT_MODEL_NAME_MAX - 1 bytes (it is written unescaped into lines). */
int cmt_model_name_ok(const char *s);

/* A valid model name derived from a file name: the base name without
 * ".json", each other byte replaced by '_', cut to fit; "model" if
 * nothing is left.  out has CMT_MODEL_NAME_MAX bytes. */
void cmt_model_name_from_path(const char *path, char *out);

/* Where a model named on the command line is.  "default" or NULL means the
 * shipped model: $CMT_MODEL if set, else the first existing of
 *   <dir of the executable>/../share/cmt/default.json   (installed)
 *   CMT_DATADIR/default.json                            (make install)
 *   <dir of the executable>/../../model/default.json    (build tree)
 * Another bare name (no '/', not an existing file) is looked up as
 * NAME.json in the same directories; anything else is a path used as is.
 * On failure out holds a message listing the places tried. */
enum cmt_err cmt_model_resolve(const char *name_or_path, char *out,
	size_t cap);

/* The shipped default is a pair: CMT_MODEL_DEFAULT, trained with volume,
 * and CMT_MODEL_PRICE, the same training without vol_trend, which scores
 * vectors from sources without volume.  Both are found by
 * cmt_model_resolve under their names. */
#define CMT_MODEL_DEFAULT "default"
#define CMT_MODEL_PRICE "default-price"

/* Resolve name_or_path, load and validate the model, and copy its
 * feature-set id into fs (cap bytes): for cmt-features --model. */
enum cmt_err cmt_model_feature_set(const char *name_or_path, char *fs,
	size_t cap, char *err);

/* The live data (ms) the model needs before its first forecast, when
 * there is no warm start: the set's base warm-up (no vector before it),
 * or the longest window among the inputs the model cannot score null if
 * longer (a trees model's nullable inputs do not count).  0 if the model
 * cannot be read. */
int64_t cmt_model_warmup_ms(const char *name_or_path);

#endif
