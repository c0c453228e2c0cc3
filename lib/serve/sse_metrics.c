/* The server's counters (cmt_sse_stats) and their Prometheus text for
 * /metrics, kept apart from the protocol that counts them.  Both write
 * only into the caller's memory. */
#include <string.h>

#include "cmt_strbuf.h"
#include "serve_int.h"

void
cmt_sse_stats(const struct cmt_sse *s, struct cmt_sse_stats *st)
{
	*st = s->st;
	st->last_id = s->head_id;
	st->backlog_events = s->count;
	st->input_open = s->input_open;
	if (s->hist) {
		st->hist_records = s->hist->records;
		st->hist_bytes = s->hist->bytes;
		st->hist_symbols = s->hist->nsym;
		st->hist_refused = s->hist->refused;
		st->hist_trimmed = s->hist->trimmed;
	}
}

size_t
cmt_sse_metrics(const struct cmt_sse *s, char *buf, size_t cap)
{
	static const struct {
		const char *name, *type, *help;
	} m[] = {
		{ "cmt_sse_clients", "gauge",
			"Open client connections (streams and requests)." },
		{ "cmt_sse_streams", "gauge",
			"Clients subscribed to /events." },
		{ "cmt_sse_events_in_total", "counter",
			"Input lines published as events." },
		{ "cmt_sse_lines_skipped_total", "counter",
			"Input lines skipped (too long or NUL byte)." },
		{ "cmt_sse_input_bytes_total", "counter",
			"Bytes of published input lines, newline included." },
		{ "cmt_sse_events_out_total", "counter",
			"Events written whole to a client." },
		{ "cmt_sse_bytes_out_total", "counter",
			"Bytes written to clients." },
		{ "cmt_sse_connections_total", "counter",
			"Connections accepted." },
		{ "cmt_sse_streams_opened_total", "counter",
			"Event streams opened." },
		{ "cmt_sse_clients_dropped_total", "counter",
			"Streams closed because the client fell behind." },
		{ "cmt_sse_clients_rejected_total", "counter",
			"Connections refused with 503 (too many clients)." },
		{ "cmt_sse_request_timeouts_total", "counter",
			"Connections closed for not finishing a request." },
		{ "cmt_sse_requests_total", "counter",
			"HTTP requests parsed." },
		{ "cmt_sse_request_errors_total", "counter",
			"Requests answered with a 4xx or 5xx status." },
		{ "cmt_sse_last_event_id", "gauge", "Id of the newest event." },
		{ "cmt_sse_backlog_events", "gauge",
			"Events held for replay." },
		{ "cmt_sse_backlog_capacity", "gauge",
			"Events the backlog can hold." },
		{ "cmt_sse_backlog_bytes", "gauge",
			"Bytes of the events held for replay." },
		{ "cmt_sse_input_open", "gauge",
			"1 while the input is open, 0 after its end." },
		{ "cmt_sse_history_lines", "gauge",
			"Lines held in the history (--keep)." },
		{ "cmt_sse_history_bytes", "gauge",
			"Bytes the history holds (its chunks)." },
		{ "cmt_sse_history_symbols", "gauge",
			"Symbols whose history is kept." },
		{ "cmt_sse_history_symbol_capacity", "gauge",
			"Symbols --max-memory holds at --keep." },
		{ "cmt_sse_history_refused_lines_total", "counter",
			"Lines of symbols beyond that capacity, not kept." },
		{ "cmt_sse_history_trimmed_lines_total", "counter",
			"Lines dropped before --keep to stay in a symbol's share." },
	};
	struct cmt_sse_stats st;
	uint64_t v[sizeof m / sizeof m[0]];
	size_t i, len = 0;

	cmt_sse_stats(s, &st);
	v[0] = st.clients; v[1] = st.streams; v[2] = st.lines_in;
	v[3] = st.lines_skipped; v[4] = st.bytes_in; v[5] = st.events_out;
	v[6] = st.bytes_out; v[7] = st.connections; v[8] = st.streams_opened;
	v[9] = st.clients_dropped; v[10] = st.clients_rejected;
	v[11] = st.timeouts; v[12] = st.requests; v[13] = st.bad_requests;
	v[14] = st.last_id; v[15] = st.backlog_events; v[16] = s->cap;
	v[17] = st.backlog_bytes; v[18] = (uint64_t)st.input_open;
	v[19] = st.hist_records; v[20] = st.hist_bytes;
	v[21] = st.hist_symbols; v[22] = s->hist ? s->hist->max_syms : 0;
	v[23] = st.hist_refused; v[24] = st.hist_trimmed;
	if (cap == 0)
		return 0;
	buf[0] = '\0';
	for (i = 0; i < sizeof m / sizeof m[0]; i++)
		if (cmt_strcat_printf(buf, cap, &len,
		    "# HELP %s %s\n# TYPE %s %s\n%s %llu\n",
		    m[i].name, m[i].help, m[i].name, m[i].type,
		    m[i].name, (unsigned long long)v[i]))
			return strlen(buf);   /* cut short, NUL-terminated */
	return len;
}
