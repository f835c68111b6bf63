// Progressive enhancement for the admin UI: live run progress (Server-Sent Events) and
// copy buttons. Every page works without it except the live stream.
"use strict";

function follow(panel) {
  const list = panel.querySelector(".events");
  const result = panel.querySelector(".result");
  const source = new EventSource(panel.dataset.stream);
  let shown = list.children.length;
  source.addEventListener("progress", (e) => {
    if (Number(e.lastEventId) < shown) return; // already rendered by the server
    const ev = JSON.parse(e.data);
    const li = document.createElement("li");
    const b = document.createElement("b");
    b.textContent = ev.kind;
    li.append(b, " " + ev.message);
    list.append(li);
    shown += 1;
  });
  source.addEventListener("end", (e) => {
    const end = JSON.parse(e.data);
    result.textContent = end.summary;
    result.className = "result " + (end.ok ? "ok" : "failed");
    panel.dataset.done = "true";
    source.close();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-stream]").forEach((panel) => {
    if (!panel.querySelector(".result.ok, .result.failed")) follow(panel);
    else panel.dataset.done = "true";
  });
  document.querySelectorAll("[data-copy]").forEach((button) => {
    button.addEventListener("click", () => {
      navigator.clipboard.writeText(button.dataset.copy).then(
        () => { button.textContent = "copied"; },
        () => { button.textContent = "select and copy"; },
      );
    });
  });
});
