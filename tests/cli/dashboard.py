#!/usr/bin/env python3
"""Drive headless Chromium through chromedriver (WebDriver over HTTP, python3
standard library only) to open the cmt-sse dashboard at URL, wait until the
page shows WAIT_EVENTS events, and print what it displays, one line each:
  status TEXT / events N / gaps N / ignored N
  sym SYM px=.. chg=.. pup=.. model=.. points=N ppoints=N IND=VALUE...
  metric KEY=VALUE
Usage: dashboard.py URL WAIT_EVENTS [TIMEOUT_S]"""
import json, os, shutil, socket, subprocess, sys, tempfile, time
import urllib.request

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1200,900"]

STATE_JS = r"""
const q = (s, r) => (r || document).querySelector(s);
const out = [];
out.push("status " + q("#status").textContent);
out.push("events " + q("#n-events").textContent);
out.push("gaps " + q("#n-gaps").textContent);
out.push("ignored " + q("#n-ignored").textContent);
for (const c of document.querySelectorAll(".card")) {
  let l = "sym " + c.dataset.sym + " px=" + q(".px", c).textContent +
    " chg=" + q(".chg", c).textContent + " pup=" + q(".pup", c).textContent +
    " model=" + q(".model", c).textContent +
    " points=" + (q("canvas.chart", c).dataset.points || 0) +
    " ppoints=" + (q("canvas.pchart", c).dataset.points || 0);
  for (const r of c.querySelectorAll("tr"))
    l += " " + r.dataset.k + "=" + r.lastChild.textContent;
  out.push(l);
}
if (!q("#metrics").hidden)
  for (const r of document.querySelectorAll("#metrics-body tr"))
    out.push("metric " + r.dataset.k + "=" + r.lastChild.textContent);
return out.join("\n");
"""

def call(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"{}").get("value")

def main():
    url, want = sys.argv[1], int(sys.argv[2])
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 15
    driver = shutil.which("chromedriver") or "/usr/lib/chromium/chromedriver"
    browser = shutil.which("chromium") or "/usr/bin/chromium"
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
    s.close()
    profile = tempfile.mkdtemp(prefix="cmt-chromium.")
    drv = subprocess.Popen([driver, "--port=%d" % port],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = "http://127.0.0.1:%d" % port
    sid = None
    try:
        for _ in range(100):
            try:
                call(base, "GET", "/status"); break
            except OSError:
                time.sleep(0.05)
        caps = {"capabilities": {"alwaysMatch": {"goog:chromeOptions": {
            "binary": browser, "args": FLAGS + ["--user-data-dir=" + profile]}}}}
        sid = call(base, "POST", "/session", caps)["sessionId"]
        call(base, "POST", "/session/%s/url" % sid, {"url": url})
        end = time.time() + timeout
        while True:
            state = call(base, "POST", "/session/%s/execute/sync" % sid,
                         {"script": STATE_JS, "args": []})
            n = int(state.split("\nevents ")[1].split("\n")[0])
            if n >= want or time.time() > end:
                break
            time.sleep(0.1)
        time.sleep(0.3)  # let the charts draw, then report the final state
        print(call(base, "POST", "/session/%s/execute/sync" % sid,
                   {"script": STATE_JS, "args": []}))
        if os.environ.get("CMT_SCREENSHOT"):  # for looking at the page
            png = call(base, "GET", "/session/%s/screenshot" % sid)
            with open(os.environ["CMT_SCREENSHOT"], "wb") as f:
                f.write(__import__("base64").b64decode(png))
    finally:
        if sid:
            try: call(base, "DELETE", "/session/" + sid)
            except OSError: pass
        drv.terminate(); drv.wait()
        shutil.rmtree(profile, ignore_errors=True)

if __name__ == "__main__":
    main()
