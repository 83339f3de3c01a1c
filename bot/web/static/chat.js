/* Trợ lý số web chat.
 * ES5 and XMLHttpRequest on purpose: old phone browsers run it. Every piece of text from the
 * server goes into the page with textContent or createTextNode, never innerHTML.
 * The conversation lives on the server; this browser keeps only a random id, the chosen
 * language and the last messages shown (localStorage, no cookies), so a reload carries on.
 */
(function () {
  "use strict";

  var KEY = "trolyso.chat.";
  var KEEP = 60;            // messages kept for a reload
  var KEEP_CHARS = 120000;  // and never more text than this
  var TIMEOUT = 30000;      // ms; a slow 2G answer still arrives in time
  var POLL = 20000;         // ms between looks for news while a help request is open

  // English for the page itself; the Vietnamese comes from the HTML (read at start-up).
  var EN = {
    title: "Trợ lý số — public services assistant",
    sub: "Public services help",
    "switch": "Tiếng Việt",
    reset: "New chat",
    log: "Conversation",
    label: "Your question",
    placeholder: "Type your question…",
    send: "Send",
    note: "Never send passwords, OTP codes or ID numbers.",
    you: "You:",
    bot: "Assistant:",
    choices: "Choices",
    newTab: "(opens in a new tab)",
    busy: "Answering…",
    offline: "Could not reach the assistant. Check your connection and try again.",
    failed: "Something went wrong. Please try again."
  };
  var VI = {
    you: "Bạn:",
    bot: "Trợ lý số:",
    choices: "Lựa chọn",
    newTab: "(mở trong thẻ mới)",
    busy: "Đang trả lời…",
    offline: "Không kết nối được với trợ lý. Bạn kiểm tra mạng rồi thử lại nhé.",
    failed: "Có lỗi xảy ra. Bạn thử lại nhé."
  };

  var app = document.getElementById("app");
  var log = document.getElementById("log");
  var statusLine = document.getElementById("status");
  var calmUntil = 0;  // after a 429, sends wait until this time (ms)
  var form = document.getElementById("composer");
  var input = document.getElementById("q");
  var api = app.getAttribute("data-api");
  var busy = false;
  var updates = api.replace(/message$/, "updates");

  // --- storage that may be missing (private mode, blocked in a frame): then memory only ---
  var store = null;
  try {
    store = window.localStorage;
    store.setItem(KEY + "probe", "1");
    store.removeItem(KEY + "probe");
  } catch (e) {
    store = null;
  }
  function load(name) {
    try { return store ? store.getItem(KEY + name) : null; } catch (e) { return null; }
  }
  function save(name, value) {
    try { if (store) { store.setItem(KEY + name, value); } } catch (e) { /* full: keep going */ }
  }

  function newId() {
    var bytes = [], i, id = "w", c = window.crypto || window.msCrypto;
    if (c && c.getRandomValues) {
      var buf = new Uint8Array(16);
      c.getRandomValues(buf);
      for (i = 0; i < 16; i++) { bytes.push(buf[i]); }
    } else {
      for (i = 0; i < 16; i++) { bytes.push(Math.floor(Math.random() * 256)); }
    }
    for (i = 0; i < 16; i++) { id += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16); }
    return id;
  }

  var user = load("user");
  if (!user || !/^[A-Za-z0-9_-]{8,64}$/.test(user)) {
    user = newId();
    save("user", user);
    waiting = false;
    save("waiting", "0");
  }
  var asked = /[?&]lang=(vi|en)\b/.exec(window.location.search);
  var lang = load("lang") || (asked ? asked[1] : "vi");
  if (lang !== "en") { lang = "vi"; }

  var shown = [];
  try { shown = JSON.parse(load("log") || "[]"); } catch (e) { shown = []; }
  if (!(shown instanceof Array)) { shown = []; }

  // --- language of the page ---
  function nodes(attr) { return document.querySelectorAll("[" + attr + "]"); }
  function t(key) { return (lang === "en" ? EN : VI)[key] || VI[key] || key; }
  (function readVietnamese() {
    var i, list = nodes("data-t"), pair;
    for (i = 0; i < list.length; i++) { VI[list[i].getAttribute("data-t")] = list[i].textContent; }
    list = nodes("data-ta");
    for (i = 0; i < list.length; i++) {
      pair = list[i].getAttribute("data-ta").split(":");
      VI[pair[1]] = list[i].getAttribute(pair[0]);
    }
  })();
  function applyLanguage() {
    var i, list = nodes("data-t"), pair;
    document.documentElement.setAttribute("lang", lang);
    for (i = 0; i < list.length; i++) { list[i].textContent = t(list[i].getAttribute("data-t")); }
    list = nodes("data-ta");
    for (i = 0; i < list.length; i++) {
      pair = list[i].getAttribute("data-ta").split(":");
      list[i].setAttribute(pair[0], t(pair[1]));
    }
    document.getElementById("lang").setAttribute("lang", lang === "en" ? "vi" : "en");
  }

  // --- showing messages ---
  function el(tag, cls) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    return node;
  }
  var URL_RE = /https?:\/\/[^\s<>"'`]+/g;
  function withLinks(node, text) {
    var last = 0, m, url, a;
    URL_RE.lastIndex = 0;
    while ((m = URL_RE.exec(text)) !== null) {
      url = m[0].replace(/[.,;:!?)\]}]+$/, "");
      if (m.index > last) { node.appendChild(document.createTextNode(text.slice(last, m.index))); }
      a = el("a");
      a.href = url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      a.textContent = url;
      node.appendChild(a);
      last = m.index + url.length;
      URL_RE.lastIndex = last;
    }
    if (last < text.length) { node.appendChild(document.createTextNode(text.slice(last))); }
  }
  function hidden(text) {
    var span = el("span", "sr-only");
    span.textContent = text;
    return span;
  }
  function choices(buttons) {
    var group = el("div", "choices"), i, b, node, links = [];
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", t("choices"));
    // Answer buttons first, in the assistant's order; links to other sites after them.
    for (i = 0; i < buttons.length; i++) {
      b = buttons[i] || {};
      if (typeof b.label !== "string") { continue; }
      if (typeof b.payload === "string") {
        node = el("button", "choice");
        node.type = "button";
        node.setAttribute("data-payload", b.payload);
        node.textContent = b.label;
        group.appendChild(node);
      } else if (typeof b.url === "string" && /^https?:\/\//i.test(b.url)) {
        node = el("a", "choice link");
        node.href = b.url;
        node.target = "_blank";
        node.rel = "noopener noreferrer";
        node.textContent = b.label;
        node.appendChild(hidden(" " + t("newTab")));
        links.push(node);
      }
    }
    for (i = 0; i < links.length; i++) { group.appendChild(links[i]); }
    return group;
  }
  function show(entry, remember) {
    var item = el("div", "msg " + (entry.me ? "me" : "bot"));
    var bubble = el("p", "bubble");
    bubble.appendChild(hidden(t(entry.me ? "you" : "bot") + " "));
    withLinks(bubble, typeof entry.text === "string" ? entry.text : "");
    item.appendChild(bubble);
    if (entry.buttons instanceof Array && entry.buttons.length) { item.appendChild(choices(entry.buttons)); }
    log.appendChild(item);
    if (remember) {
      shown.push({ me: !!entry.me, text: entry.text, buttons: entry.buttons || [] });
      keep();
    }
    return item;
  }
  function keep() {
    var data;
    if (shown.length > KEEP) { shown = shown.slice(shown.length - KEEP); }
    data = JSON.stringify(shown);
    while (data.length > KEEP_CHARS && shown.length > 1) {
      shown.shift();
      data = JSON.stringify(shown);
    }
    save("log", data);
  }
  function forget(item) {
    log.removeChild(item);
    shown.pop();
    keep();
  }
  function say(text, isError) {
    statusLine.textContent = text;
    statusLine.className = isError ? "status error" : "status";
  }
  function reveal(item) {
    // Long answers are read from their start, so scroll to the top of the first new message.
    log.scrollTop = Math.max(0, item.offsetTop - 8);
  }

  // --- talking to the server ---
  function send(body, echo) {
    if (busy || Date.now() < calmUntil) { return false; }
    busy = true;
    app.className = "app busy";
    say(t("busy"));
    var mine = echo ? show({ me: true, text: echo }, true) : null;
    if (mine) { reveal(mine); }
    body.user = user;
    body.lang = lang;
    var xhr = new XMLHttpRequest();
    function done() {
      busy = false;
      app.className = "app";
    }
    function failed(message) {
      if (mine) { forget(mine); }
      if (body.text && body.text.charAt(0) !== "/" && !input.value) { input.value = body.text; }
      say(message, true);
      done();
    }
    xhr.open("POST", api, true);
    xhr.setRequestHeader("Content-Type", "application/json");
    xhr.timeout = TIMEOUT;
    xhr.onload = function () {
      var data = null, i, first = null, item;
      try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
      if (xhr.status === 429) {  // too fast: the server says how long to wait; the box keeps the text
        calmUntil = Date.now() + 1000 * (parseInt(xhr.getResponseHeader("Retry-After"), 10) || 5);
      }
      if (xhr.status !== 200 || !data || !(data.messages instanceof Array)) {
        failed(data && typeof data.error === "string" ? data.error : t("failed"));
        return;
      }
      for (i = 0; i < data.messages.length; i++) {
        item = show(data.messages[i] || {}, true);
        first = first || item;
      }
      watch(data.messages, false);
      say("");
      done();
      if (first) { reveal(first); }
    };
    xhr.onerror = function () { failed(t("offline")); };
    xhr.ontimeout = xhr.onerror;
    xhr.send(JSON.stringify(body));
    return true;
  }

  // --- news from a volunteer ---
  // A reply offering "cancel my request" (an hx: button) means a help request is open: until it
  // ends, the page asks every POLL ms (when visible) whether a volunteer has taken it.
  var waiting = load("waiting") === "1";
  function watch(messages, polled) {
    var i, j, buttons, open = false;
    for (i = 0; i < messages.length; i++) {
      buttons = (messages[i] && messages[i].buttons) || [];
      for (j = 0; j < buttons.length; j++) {
        if (typeof buttons[j].payload === "string" && buttons[j].payload.indexOf("hx:") === 0) { open = true; }
      }
    }
    if (open) { waiting = true; } else if (polled && messages.length) { waiting = false; }
    save("waiting", waiting ? "1" : "0");
  }
  function poll() {
    if (!waiting || busy || document.hidden) { return; }
    var xhr = new XMLHttpRequest(), i, first = null, item;
    xhr.open("GET", updates + "?user=" + encodeURIComponent(user), true);
    xhr.timeout = TIMEOUT;
    xhr.onload = function () {
      var data = null;
      try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
      if (xhr.status !== 200 || !data || !(data.messages instanceof Array) || !data.messages.length) { return; }
      for (i = 0; i < data.messages.length; i++) {
        item = show(data.messages[i] || {}, true);
        first = first || item;
      }
      watch(data.messages, true);
      if (first) { reveal(first); }
    };
    xhr.send();
  }
  window.setInterval(poll, POLL);
  document.addEventListener("visibilitychange", poll);

  function setLanguage(code) {
    lang = code;
    save("lang", lang);
    applyLanguage();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.replace(/^\s+|\s+$/g, "");
    if (!text) { input.focus(); return; }
    if (send({ text: text }, text)) { input.value = ""; }
  });
  log.addEventListener("click", function (event) {
    var node = event.target, payload, m;
    while (node && node !== log && !(node.getAttribute && node.getAttribute("data-payload") !== null)) {
      node = node.parentNode;
    }
    if (!node || node === log || busy) { return; }
    payload = node.getAttribute("data-payload");
    if (payload.indexOf("hx:") === 0) { waiting = false; save("waiting", "0"); }  // cancelled
    m = /^l:(vi|en)\b/.exec(payload);  // the assistant's own language buttons switch the page too
    if (m) { setLanguage(m[1]); }
    send({ payload: payload }, node.textContent);
  });
  document.getElementById("lang").addEventListener("click", function () {
    if (busy) { return; }
    var label = this.textContent;
    setLanguage(lang === "en" ? "vi" : "en");
    send({ payload: "l:" + lang }, label);
  });
  document.getElementById("reset").addEventListener("click", function () {
    if (busy) { return; }
    user = newId();
    save("user", user);
    waiting = false;
    save("waiting", "0");
    shown = [];
    keep();
    while (log.lastChild) { log.removeChild(log.lastChild); }
    say("");
    send({ text: "/start" }, null);
  });

  applyLanguage();
  for (var i = 0; i < shown.length; i++) { show(shown[i] || {}, false); }
  if (shown.length) {
    log.scrollTop = log.scrollHeight;
  } else {
    send({ text: "/start" }, null);
  }
})();
