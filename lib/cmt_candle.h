/* Candle (OHLCV) files, read as bar ticks and written: what ccxt,
 * freqtrade, exchange dumps and spreadsheets hold, turned into the ticks
 * every cmt tool reads.  Each bar becomes one tick at its close: t = the
 * bar's close time, px = close, o/h/l = open, high, low, vol = volume.
 *
 * Forms read (gzip or not, through the line reader):
 * - CSV with a header naming open, high, low and close (o, h, l, c too),
 *   optionally volume (vol, v), a time column (open_time, ts, timestamp,
 *   time, unix, date, datetime), a close_time column, a symbol column
 *   (sym, symbol, pair, ticker) and src; other columns are ignored;
 * - rows of 6 or more numbers without a header: time, open, high, low,
 *   close, volume (ccxt's order); with 12, an exchange's monthly dumps,
 *   whose 7th column is the close time;
 * - a JSON array of arrays [[ms, o, h, l, c, v], ...] (freqtrade's files),
 *   on one line or many.
 * Times are seconds, milliseconds, microseconds or nanoseconds since the
 * epoch (told apart by size: below 1e11 seconds, below 1e14 ms, below
 * 1e17 µs) or ISO 8601.  The time column is the bar's OPEN, as every one
 * of these sources writes it; the bar closes at close_time when the file
 * has one (a close_time one millisecond short of a whole second, the last
 * millisecond inside the bar as an exchange writes it, closes at the next
 * millisecond), else
 * one bar length later: --bar, or the commonest spacing of a symbol's
 * first bars.  The symbol is the file's symbol column, else --symbol,
 * else the file's name (BTC_USDT-1m.json, BTCUSDT-1m-2024-01.csv,
 * btcusdt_1m.csv).
 *
 * The reader owns its buffers (about 100 KiB plus 60 bytes per symbol,
 * at most 1024 symbols); the line reader stays the caller's.  The JSON
 * array is read by lib/jrows.c, symbols named by lib/candle_symbol.c. */
#ifndef CMT_CANDLE_H
#define CMT_CANDLE_H

#include <stddef.h>
#include <stdint.h>

#include "cmt_err.h"
#include "cmt_line.h"
#include "cmt_tick.h"

#define CMT_CANDLE_MAX_SYMS 1024

struct cmt_candle_opts {
	char sym[CMT_SYM_MAX];  /* --symbol; "" when not given */
	int64_t bar_ms;         /* --bar; 0: from the file */
};

struct cmt_candles;

/* 1 if a first line [s, s+len) begins a candle file of a form above. */
int cmt_candle_looks(const char *s, size_t len);

/* Read candles from lr, whose first line cmt_candle_looks accepted (the
 * reader peeks at it; nothing may have been read yet).  path names the
 * input in messages and may give the symbol ("-": stdin). */
enum cmt_err cmt_candles_open(struct cmt_candles **out,
	struct cmt_linereader *lr, const char *path,
	const struct cmt_candle_opts *o, char *err);

/* The next bar tick, in file order: CMT_OK with *tk; CMT_ESKIP at the end
 * of the input; CMT_EIO on a read error (errno EINTR: call again;
 * cmt_line_error says the rest); CMT_EFORMAT when the file as a whole
 * cannot be read (its symbol or bar length cannot be told: err says
 * which option gives it); any other error: one bad record, *recno says
 * which (its line; in a JSON array, the candle's number), and the reading
 * goes on. */
enum cmt_err cmt_candles_next(struct cmt_candles *c, struct cmt_tick *tk,
	uint64_t *recno, char *err);

void cmt_candles_close(struct cmt_candles *c);

/* A symbol as data files spell it (BTC-USDT, BTC/USDT, BTC/USDT:USDT,
 * BTC_USDT, btcusdt: the quote told by a known suffix) as BASE-QUOTE. */
enum cmt_err cmt_candle_symbol(const char *s, size_t len,
	char out[CMT_SYM_MAX], char *err);

/* The symbol a file's name gives, as above; 0 if it gives none. */
int cmt_candle_symbol_of_path(const char *path, char out[CMT_SYM_MAX]);

/* Writing the CSV the reader reads back to the same ticks:
 * open_time,close_time,sym,open,high,low,close,volume,src with times in
 * ms; a bar tick's open is t - bar_ms.  Each returns the length written
 * (with the newline) into buf of CMT_CANDLE_CSV_MAX bytes; the row -1 for
 * a tick that is not a bar (nothing is made up for it). */
#define CMT_CANDLE_CSV_MAX 512
int cmt_candle_csv_header(char *buf);
int cmt_candle_csv_row(const struct cmt_tick *tk, int64_t bar_ms, char *buf);

#endif
