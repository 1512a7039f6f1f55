// BilimBot website chat: the loader an owner's website includes with one tag,
//   <script src="https://…/static/js/widget.js" data-bilimbot="KEY" async></script>
// It adds a chat button in a shadow root (the site's CSS cannot restyle it) that opens our chat
// page in an iframe: our page on our origin, so the site's styles and cookies never mix with ours.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.BilimBotWidget) return;
  var key = script.getAttribute("data-bilimbot");
  if (!key) return;
  var origin = new URL(script.src, window.location.href).origin;
  window.BilimBotWidget = { key: key };

  var lang = "";
  var wanted = navigator.languages || [navigator.language || ""];
  for (var i = 0; i < wanted.length && !lang; i++) {
    var code = String(wanted[i]).slice(0, 2).toLowerCase();
    if (code === "uz" || code === "ru" || code === "en") lang = code;
  }

  var css =
    ":host{all:initial}" +
    ".toggle{position:fixed;right:20px;bottom:20px;z-index:2147483646;width:56px;height:56px;" +
    "border:0;border-radius:50%;background:#0d6efd;color:#fff;cursor:pointer;" +
    "box-shadow:0 4px 14px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center}" +
    ".toggle svg{width:28px;height:28px;fill:currentColor}" +
    ".panel{position:fixed;right:20px;bottom:88px;z-index:2147483647;width:370px;height:560px;" +
    "max-height:calc(100vh - 108px);border-radius:14px;overflow:hidden;background:#fff;" +
    "box-shadow:0 8px 30px rgba(0,0,0,.3)}" +
    ".panel[hidden]{display:none}" +
    "iframe{border:0;width:100%;height:100%;display:block}" +
    "@media (max-width:480px){.panel{right:0;bottom:0;width:100vw;height:100%;max-height:none;" +
    "border-radius:0}.open .toggle{display:none}}";

  var host = document.createElement("div");
  host.setAttribute("data-bilimbot-widget", "");
  var root = host.attachShadow({ mode: "open" });
  if (root.adoptedStyleSheets !== undefined && window.CSSStyleSheet) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [sheet];
  } else {
    var style = document.createElement("style");
    style.textContent = css;
    root.appendChild(style);
  }
  var wrap = document.createElement("div");
  var button = document.createElement("button");
  button.type = "button";
  button.className = "toggle";
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-label", "Chat");
  button.innerHTML =
    '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 ' +
    '2H8l-5 4V5a2 2 0 0 1 2-2zm3 6v2h2V9H7zm4 0v2h2V9h-2zm4 0v2h2V9h-2z"/></svg>';
  var panel = document.createElement("div");
  panel.className = "panel";
  panel.hidden = true;
  var frame = document.createElement("iframe");
  frame.title = "Chat";
  frame.src = origin + "/widget/" + encodeURIComponent(key) + (lang ? "?lang=" + lang : "");
  panel.appendChild(frame);
  wrap.appendChild(panel);
  wrap.appendChild(button);
  root.appendChild(wrap);

  var labels = null;
  function toggle(show) {
    panel.hidden = !show;
    wrap.className = show ? "open" : "";
    button.setAttribute("aria-expanded", show ? "true" : "false");
    if (labels) button.setAttribute("aria-label", show ? labels.close : labels.open);
    if (frame.contentWindow) {
      frame.contentWindow.postMessage({ type: show ? "bilimbot:open" : "bilimbot:closed" }, origin);
    }
  }
  button.addEventListener("click", function () { toggle(panel.hidden); });
  window.addEventListener("message", function (event) {
    if (event.origin !== origin || event.source !== frame.contentWindow || !event.data) return;
    if (event.data.type === "bilimbot:ready") {
      labels = { open: String(event.data.open || ""), close: String(event.data.close || "") };
      button.setAttribute("aria-label", panel.hidden ? labels.open : labels.close);
      frame.title = labels.open;
      if (!panel.hidden) toggle(true);
    } else if (event.data.type === "bilimbot:close") {
      toggle(false);
    }
  });

  function mount() { document.body.appendChild(host); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
