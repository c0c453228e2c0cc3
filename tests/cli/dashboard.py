#!/usr/bin/env python3
"""Drive headless Chromium through chromedriver (WebDriver over HTTP, python3
standard library only) to open the cmt-sse dashboard at URL, wait until the
page shows WAIT_EVENTS events, and print what it displays, one line each:
  state LIVE|REPLAY|STALLED|INPUT ENDED|WAITING / why TEXT / conn TEXT
  rate X / events N / gaps N / ignored N / sim on|off / url PATH?QUERY
  tile SYM px=.. chg=.. pup=.. age=ok|amber|red ago=TEXT [SIM]
  detail sym=SYM pup=.. model=..
  target TEXT / resolve TEXT / note TEXT / last TEXT
  scores-title TEXT / scores TEXT
  ind KEY=VALUE spark=N          (the selected symbol's indicators)
  overall TEXT                   (metrics lines without "sym")
Usage: dashboard.py [options] URL WAIT_EVENTS [TIMEOUT_S]
  --size WxH        window size (default 1200x900)
  --tz ZONE         TZ of the browser (local time axis)
  --run JS          run this once the events came (e.g. click a button)
  --until JS        then poll until this expression is true (or the
                    timeout), e.g. a stale alarm
  --eval JS         also print "eval " + JSON of this expression
  --screenshot F    save a PNG of the page"""
import base64, json, os, shutil, socket, subprocess, sys, tempfile, time
import urllib.request

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars"]

STATE_JS = r"""
const q = (s, r) => (r || document).querySelector(s);
const tx = (s, r) => { const e = q(s, r); return e ? e.textContent.trim() : ""; };
const out = [];
out.push("state " + tx("#state"));
out.push("why " + tx("#state-why"));
out.push("conn " + tx("#conn"));
out.push("rate " + tx("#rate"));
out.push("events " + tx("#n-events"));
out.push("gaps " + tx("#n-gaps"));
out.push("ignored " + tx("#n-ignored"));
out.push("sim " + (q("#sim").hidden ? "off" : "on"));
out.push("url " + location.pathname + location.search);
for (const t of document.querySelectorAll(".tile"))
  out.push("tile " + t.dataset.sym + " px=" + tx(".px", t) + " chg=" +
    tx(".chg", t) + " pup=" + tx(".pup", t) + " age=" +
    (q(".age", t).dataset.level || "ok") + " ago=" + tx(".age", t) +
    (q(".simtag", t) ? " SIM" : ""));
if (!q("#detail").hidden) {
  out.push("detail sym=" + tx("#d-sym") + " pup=" + tx("#d-pup") +
    (q("#d-pup").classList.contains("partial") ? " (partial)" : "") +
    " model=" + tx("#d-model"));
  out.push("candles " + tx("#d-candles"));
  out.push("target " + tx("#d-target"));
  out.push("resolve " + tx("#d-resolve"));
  out.push("note " + tx("#d-pnote"));
  out.push("last " + tx("#d-last"));
  out.push("scores-title " + tx("#d-scores-title"));
  out.push("scores " + tx("#d-scores"));
  for (const r of document.querySelectorAll("#d-ind tr"))
    out.push("ind " + r.dataset.k + "=" + tx(".val", r) + " spark=" +
      (q("canvas", r).dataset.points || 0));
}
if (!q("#overall").hidden) out.push("overall " + tx("#overall"));
for (const e of window.cmtErrors || []) out.push("error " + e);
return out.join("\n");
"""

def call(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read() or b"{}").get("value")

def main():
    args, opt = [], {"size": "1200x900"}
    argv = sys.argv[1:]
    while argv:
        a = argv.pop(0)
        if a.startswith("--"):
            opt[a[2:]] = argv.pop(0)
        else:
            args.append(a)
    url, want = args[0], int(args[1])
    timeout = float(args[2]) if len(args) > 2 else 15
    w, h = opt["size"].split("x")
    driver = shutil.which("chromedriver") or "/usr/lib/chromium/chromedriver"
    browser = shutil.which("chromium") or "/usr/bin/chromium"
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
    s.close()
    profile = tempfile.mkdtemp(prefix="cmt-chromium.")
    env = dict(os.environ)
    if "tz" in opt:
        env["TZ"] = opt["tz"]
    drv = subprocess.Popen([driver, "--port=%d" % port], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = "http://127.0.0.1:%d" % port
    sid = None
    run = lambda js: call(base, "POST", "/session/%s/execute/sync" % sid,
                          {"script": js, "args": []})
    try:
        for _ in range(200):
            try:
                call(base, "GET", "/status"); break
            except OSError:
                time.sleep(0.05)
        caps = {"capabilities": {"alwaysMatch": {"goog:chromeOptions": {
            "binary": browser, "args": FLAGS + ["--user-data-dir=" + profile,
                                                "--window-size=%s,%s" % (w, h)]}}}}
        sid = call(base, "POST", "/session", caps)["sessionId"]
        # the viewport exactly (a headless window has a minimum width);
        # narrow ones as a phone
        call(base, "POST", "/session/%s/goog/cdp/execute" % sid,
             {"cmd": "Emulation.setDeviceMetricsOverride", "params": {
                 "width": int(w), "height": int(h), "deviceScaleFactor": 1,
                 "mobile": int(w) < 800}})
        call(base, "POST", "/session/%s/url" % sid, {"url": url})
        end = time.time() + timeout
        # the page's history is in (cmt.ready is set), then its events
        while time.time() < end and not run(
                "return !!(window.cmt && window.cmt.ready !== null)"):
            time.sleep(0.05)
        while True:
            state = run(STATE_JS)
            n = int(state.split("\nevents ")[1].split("\n")[0])
            if n >= want or time.time() > end:
                break
            time.sleep(0.1)
        if "run" in opt:
            run(opt["run"])
        if "until" in opt:
            while time.time() < end and not run("return !!(" + opt["until"] + ")"):
                time.sleep(0.1)
        time.sleep(0.6)  # let the charts draw, then report the final state
        print(run(STATE_JS))
        if "eval" in opt:
            print("eval " + json.dumps(run("return " + opt["eval"])))
        if "screenshot" in opt:
            png = call(base, "GET", "/session/%s/screenshot" % sid)
            with open(opt["screenshot"], "wb") as f:
                f.write(base64.b64decode(png))
    finally:
        if sid:
            try: call(base, "DELETE", "/session/" + sid)
            except OSError: pass
        drv.terminate(); drv.wait()
        shutil.rmtree(profile, ignore_errors=True)

if __name__ == "__main__":
    main()
