"""The dashboard's stylesheet and live script, served as files (the CSP forbids inline code)."""

from __future__ import annotations

# Colours meet WCAG AA contrast (≥ 4.5:1 for text) in both schemes.
CSS = """\
:root{color-scheme:light dark;--bg:#f6f7f9;--card:#fff;--fg:#1b1f24;--muted:#4a5360;
--line:#d3d8de;--accent:#0b5cad;--bar:#2f6fb3;--bar-bg:#e3e8ee;--ok:#1a7f37;--focus:#b35900;
font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
@media (prefers-color-scheme:dark){:root{--bg:#111418;--card:#1b2027;--fg:#e8ecf1;
--muted:#aab4c0;--line:#333b45;--accent:#7ab7ff;--bar:#5a9be0;--bar-bg:#2a313a;--ok:#56d364;
--focus:#ffb86b}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg)}
a{color:var(--accent)}
a:focus-visible,[tabindex]:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:var(--card);padding:.5rem 1rem}
.skip:focus{left:1rem;z-index:2}
header{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:baseline;padding:1rem 1.5rem;
border-bottom:1px solid var(--line);background:var(--card)}
header h1{margin:0;font-size:1.5rem}
header nav a[aria-current]{font-weight:700;text-decoration:none;color:var(--fg)}
.status{margin:0;color:var(--muted)}
.live:not(:empty)::before{content:"● ";color:var(--ok)}
.live.off::before{color:var(--muted)}
main{display:grid;gap:1rem;padding:1rem 1.5rem;
grid-template-columns:repeat(auto-fit,minmax(min(100%,22rem),1fr))}
.card{background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:1rem;
min-width:0}
.card h2{margin:0 0 .75rem;font-size:1.15rem}
.pipeline{grid-column:1/-1}
.columns{display:grid;gap:.75rem;grid-template-columns:repeat(auto-fit,minmax(10rem,1fr))}
.column{border-top:4px solid var(--bar);padding-top:.4rem}
.st-accepted,.st-implemented{border-top-color:var(--ok)}
.st-rejected{border-top-color:var(--muted)}
.column h3{margin:0 0 .4rem;font-size:1rem}
.count{display:inline-block;min-width:1.6em;padding:0 .4em;border-radius:1em;
background:var(--bar-bg);text-align:center;font-size:.9rem}
ol,ul{margin:0;padding:0;list-style:none}
.column li,.rounds li,.feed li,.ranks li{padding:.35rem 0;border-bottom:1px solid var(--line)}
.num{color:var(--muted);font-variant-numeric:tabular-nums}
.meta,.more,.empty,.hidden-tally,caption{color:var(--muted);font-size:.9rem}
.column .meta{display:block}
.poll{margin-bottom:1rem}
.poll h3,.sub{margin:.25rem 0;font-size:1rem}
.bars li{display:grid;grid-template-columns:minmax(4rem,30%) 1fr 3.5rem;gap:.5rem;
align-items:center;padding:.15rem 0}
.bars label{overflow-wrap:anywhere}
.val{text-align:right;font-variant-numeric:tabular-nums}
meter,progress{width:100%;height:.9rem}
meter::-webkit-meter-bar,progress::-webkit-progress-bar{background:var(--bar-bg);border:0;
border-radius:.25rem}
meter::-webkit-meter-optimum-value,progress::-webkit-progress-value{background:var(--bar);
border-radius:.25rem}
.leader{margin:.25rem 0 0;font-weight:600}
.rounds progress{display:block;margin:.3rem 0}
table{width:100%;border-collapse:collapse}
caption{text-align:left;margin-bottom:.4rem}
th,td{text-align:left;padding:.3rem .25rem;border-bottom:1px solid var(--line)}
td meter{width:4rem;vertical-align:middle}
.charts{grid-column:1/-1}
.charts{display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(min(100%,26rem),1fr))}
.charts h2{grid-column:1/-1}
.picture{margin:0}
svg.chart{display:block;max-width:100%;height:auto;color:var(--fg)}
.sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;
clip:rect(0 0 0 0);white-space:nowrap;border:0}
.flows td:nth-child(3){white-space:nowrap}
.ranks{counter-reset:rank}
.ranks li{display:flex;justify-content:space-between;counter-increment:rank}
.ranks li::before{content:counter(rank) ".";color:var(--muted);width:1.8rem}
.ranks .name{flex:1}
dl{display:grid;grid-template-columns:auto 1fr;gap:.4rem 1rem;margin:0}
dt{color:var(--muted)}dd{margin:0;font-weight:600;text-align:right}
.feed time{color:var(--muted);font-variant-numeric:tabular-nums;margin-right:.4rem}
footer{padding:0 1.5rem 1.5rem;color:var(--muted);font-size:.9rem}
@media (prefers-reduced-motion:no-preference){.card{transition:border-color .3s}}
"""

JS = """\
(function () {
  "use strict";
  var main = document.getElementById("main");
  var stream = main && main.getAttribute("data-stream");
  var live = document.getElementById("live");
  if (!stream || !window.EventSource) { return; }
  function state(on) {
    if (!live) { return; }
    live.textContent = live.getAttribute(on ? "data-on" : "data-off");
    live.className = on ? "live" : "live off";
  }
  var source = new EventSource(stream);
  source.onopen = function () { state(true); };
  source.onerror = function () { state(false); };
  source.addEventListener("update", function (event) {
    var data = JSON.parse(event.data);
    Object.keys(data.sections).forEach(function (id) {
      var element = document.getElementById(id);
      if (element) { element.innerHTML = data.sections[id]; }
    });
    document.documentElement.setAttribute("data-version", String(data.version));
  });
}());
"""
