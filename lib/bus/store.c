/* The streams a publisher writes to: creating one for --create-stream, and
 * finding whether any stream stores a subject, so that a missing one is
 * told at the first line instead of as endless "no responders".  Nothing
 * here is kept: every call asks the server. */
#include <stdio.h>
#include <string.h>

#include <nats/nats.h>

#include "bus_int.h"

enum cmt_bus_status
bus_stream_create(struct cmt_bus *b, const struct cmt_bus_pub_opts *o,
	char *err)
{
	jsStreamConfig sc;
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	char wild[SUBJECT_MAX];
	const char *subjects[1] = { wild };
	natsStatus s;

	if (cmt_bus_template_check(o->subject, wild, sizeof wild, err))
		return CMT_BUS_EFAIL;
	s = js_GetStreamInfo(&si, b->js, o->create_stream, NULL, &jerr);
	if (s == NATS_OK) {
		jsStreamInfo_Destroy(si);
		return CMT_BUS_OK;      /* exists: used as it is */
	}
	if (s != NATS_NOT_FOUND && jerr != JSStreamNotFoundErr)
		return bus_fail(err, s, jerr, o->create_stream);
	jsStreamConfig_Init(&sc);
	sc.Name = o->create_stream;
	sc.Subjects = subjects;
	sc.SubjectsLen = 1;
	sc.Replicas = o->replicas;
	sc.MaxAge = o->max_age_ms * 1000000;
	sc.Duplicates = o->dupe_window_ms * 1000000;
	sc.Storage = o->memory ? js_MemoryStorage : js_FileStorage;
	s = js_AddStream(&si, b->js, &sc, NULL, &jerr);
	if (s != NATS_OK)
		return bus_fail(err, s, jerr, o->create_stream);
	jsStreamInfo_Destroy(si);
	return CMT_BUS_OK;
}

/* Does a stream's subject pat (with * and > wildcards) take subj? */
static int
subject_matches(const char *pat, const char *subj)
{
	while (*pat && *subj) {
		size_t pn = strcspn(pat, "."), sn = strcspn(subj, ".");

		if (pn == 1 && *pat == '>')
			return 1;
		if (!(pn == 1 && *pat == '*') &&
		    (pn != sn || memcmp(pat, subj, pn) != 0))
			return 0;
		pat += pn;
		subj += sn;
		if (*pat != *subj)
			return 0;
		if (*pat) {
			pat++;
			subj++;
		}
	}
	return !*pat && !*subj;
}

/* Is any stream listening on subject?  Tells a "no responders" reply
 * apart: a missing stream, or one between leaders. */
enum cmt_bus_status
bus_stream_for(struct cmt_bus *b, const char *subj, char *err)
{
	jsStreamInfoList *list = NULL;
	jsOptions jo;
	jsErrCode jerr = 0;
	natsStatus s;
	int i, j, found = 0;

	if (!bus_api_opts(b, &jo))
		return CMT_BUS_OK;      /* stopped: cannot tell */
	s = js_Streams(&list, b->js, &jo, &jerr);
	if (s == NATS_NOT_FOUND)
		list = NULL;
	else if (s == NATS_NO_RESPONDERS)
		return cmt_errf(err, CMT_EVALUE, "JetStream is not enabled at "
			"the server"), CMT_BUS_ENOSTREAM;
	else if (s != NATS_OK)
		return CMT_BUS_OK;      /* cannot tell: keep trying */
	for (i = 0; list && i < list->Count && !found; i++) {
		jsStreamConfig *c = list->List[i]->Config;

		for (j = 0; c && j < c->SubjectsLen && !found; j++)
			found = subject_matches(c->Subjects[j], subj);
	}
	jsStreamInfoList_Destroy(list);
	if (!found)
		return cmt_errf(err, CMT_EVALUE, "no stream stores subject '%s' "
			"(create one with --create-stream NAME)", subj),
			CMT_BUS_ENOSTREAM;
	return CMT_BUS_OK;
}
