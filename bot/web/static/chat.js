/* Trợ lý số web chat.
 * ES5 and XMLHttpRequest on purpose: old phone browsers run it. Every piece of text from the
 * server goes into the page with textContent or createTextNode, never innerHTML.
 * The conversation lives on the server; this browser keeps only a random id, the chosen
 * language and whether a guide or a help request is under way (localStorage, no cookies) —
 * never a message's text or a phone number, which a shared phone's next user could read. A
 * reload asks the server where the conversation was ("continue" in a guide, else a greeting).
 * Emoji the answers use as section markers become small inline SVG icons, which every phone
 * draws (an emoji font is often missing); the words beside them carry the meaning.
 */
(function () {
  "use strict";

  var KEY = "trolyso.chat.";
  var TIMEOUT = 30000;      // ms; a slow 2G answer still arrives in time
  var POLL = 20000;         // ms between looks for news while a help request is open
  var HOLD = 10;            // s the server may hold a look open until news comes (a long-poll)
  var AGAIN = [1000, 3000]; // ms before each resend of a message that got no answer (same id)

  // English for the page itself; the Vietnamese comes from the HTML (read at start-up).
  var EN = {
    title: "Trợ lý số — public services assistant",
    sub: "Public services help",
    "switch": "Tiếng Việt",
    reset: "Delete chat",
    resetTitle: "Delete this conversation on this phone and on the server",
    confirmErase: "Delete this conversation? What you typed here is deleted on the server too, and a new chat starts.",
    resumed: "Welcome back. Earlier messages are not kept on this phone, for your privacy.",
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
    failed: "Có lỗi xảy ra. Bạn thử lại nhé.",
    confirmErase: "Xóa cuộc trò chuyện này? Những gì bạn đã gõ cũng được xóa trên máy chủ, rồi bắt đầu trò chuyện mới.",
    resumed: "Chào bạn quay lại. Tin nhắn cũ không được lưu trên điện thoại này, để giữ riêng tư."
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

  function newId(prefix) {
    var bytes = [], i, id = prefix || "w", c = window.crypto || window.msCrypto;
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

  // Earlier versions kept the last messages here: remove them, they may hold a phone number.
  try { if (store) { store.removeItem(KEY + "log"); } } catch (e) { /* nothing to remove */ }

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
  // --- icons instead of emoji ---
  // 24×24 outline paths; an emoji without an icon is dropped (it is decoration, the words stay).
  var SVG = "http://www.w3.org/2000/svg";
  var DOC = "M6 2h9l5 5v15H6z M14 2v6h6 M9 13h7 M9 17h7";
  var NO = "M12 3a9 9 0 1 0 0.01 0z M5.6 5.6l12.8 12.8";
  var PHONE = "M5 3h4l2 5-2.5 1.5a11 11 0 0 0 6 6L16 13l5 2v4a2 2 0 0 1-2 2A16 16 0 0 1 3 5a2 2 0 0 1 2-2z";
  var CROSS = "M6 6l12 12 M18 6L6 18";
  var THUMB = "M7 10v11H3V10z M7 10l4-8a3 3 0 0 1 3 3v4h6a2 2 0 0 1 2 2l-2 8a2 2 0 0 1-2 2H7";
  var ICONS = {
    "\uD83D\uDCCB": DOC, "\uD83D\uDCC4": DOC,                                   // 📋 📄
    "\uD83C\uDFDB": "M3 21h18 M5 21V10 M19 21V10 M9.5 21v-8 M14.5 21v-8 M2 10l10-7 10 7z", // 🏛
    "\uD83C\uDFE2": "M4 21V3h11v18 M15 9h5v12 M2 21h20 M8 7h3 M8 11h3 M8 15h3",    // 🏢
    "\uD83D\uDCB0": "M12 2v20 M17 6H9.5a3.5 3.5 0 0 0 0 7h5a3.5 3.5 0 0 1 0 7H6",   // 💰
    "\u23F1": "M12 4a9 9 0 1 0 0.01 0z M12 8v5l3 2 M10 1h4",                      // ⏱
    "\u26A0": "M12 3l10 18H2z M12 10v5 M12 18v.5",                              // ⚠
    "\uD83C\uDF10": "M12 3a9 9 0 1 0 0.01 0z M3 12h18 M12 3c3 3 3 15 0 18 M12 3c-3 3-3 15 0 18", // 🌐
    "\u2753": "M12 3a9 9 0 1 0 0.01 0z M9.5 9a2.5 2.5 0 1 1 3.5 2.3c-.6.3-1 .9-1 1.7v.5 M12 17v.5", // ❓
    "\u2696": "M12 3v18 M7 21h10 M4 7h16 M6 7l-3 7h6z M18 7l-3 7h6z",            // ⚖
    "\uD83D\uDCCD": "M12 22s7-7 7-12a7 7 0 0 0-14 0c0 5 7 12 7 12z M12 8a2 2 0 1 0 0.01 0z", // 📍
    "\uD83D\uDCDE": PHONE, "\u260E": PHONE,                                     // 📞 ☎
    "\u2705": "M4 12l5 5L20 6", "\u2716": CROSS, "\u274C": CROSS,                // ✅ ✖ ❌
    "\uD83D\uDC4D": THUMB, "\uD83D\uDC4E": THUMB,                                // 👍 👎
    "\uD83D\uDEAB": NO, "\uD83D\uDCF5": NO,                                      // 🚫 📵
    "\uD83D\uDD17": "M10 14a5 5 0 0 0 7 0l3-3a5 5 0 0 0-7-7l-1 1 M14 10a5 5 0 0 0-7 0l-3 3a5 5 0 0 0 7 7l1-1", // 🔗
    "\u27A1": "M4 12h16 M14 6l6 6-6 6",                                          // ➡
    "\uD83E\uDDED": "M12 3a9 9 0 1 0 0.01 0z M15.5 8.5l-2 5-5 2 2-5z"            // 🧭
  };
  var EMOJI_RE = /(\uD83C[\uDC00-\uDFFF]|\uD83D[\uDC00-\uDFFF]|\uD83E[\uDD00-\uDFFF]|[\u2600-\u27BF\u2B00-\u2BFF\u23E9-\u23FA\u231A\u231B])\uFE0F?\s?/g;
  function icon(path, flip) {
    var svg = document.createElementNS(SVG, "svg"), p = document.createElementNS(SVG, "path");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("class", "icon" + (flip ? " flip" : ""));
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    p.setAttribute("d", path);
    svg.appendChild(p);
    return svg;
  }
  function withIcons(node, text) {
    var last = 0, m, path;
    EMOJI_RE.lastIndex = 0;
    while ((m = EMOJI_RE.exec(text)) !== null) {
      if (m.index > last) { node.appendChild(document.createTextNode(text.slice(last, m.index))); }
      path = ICONS[m[1]];
      if (path) {
        node.appendChild(icon(path, m[1] === "\uD83D\uDC4E"));
        if (m[0].length > m[1].length + (m[0].indexOf("\uFE0F") > 0 ? 1 : 0)) { node.appendChild(document.createTextNode(" ")); }
      }
      last = m.index + m[0].length;
    }
    if (last < text.length) { node.appendChild(document.createTextNode(text.slice(last))); }
  }

  var URL_RE = /https?:\/\/[^\s<>"'`]+/g;
  function withLinks(node, text) {
    var last = 0, m, url, a;
    URL_RE.lastIndex = 0;
    while ((m = URL_RE.exec(text)) !== null) {
      url = m[0].replace(/[.,;:!?)\]}]+$/, "");
      if (m.index > last) { withIcons(node, text.slice(last, m.index)); }
      a = el("a");
      a.href = url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      a.textContent = url;
      node.appendChild(a);
      last = m.index + url.length;
      URL_RE.lastIndex = last;
    }
    if (last < text.length) { withIcons(node, text.slice(last)); }
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
        withIcons(node, b.label);
        group.appendChild(node);
      } else if (typeof b.url === "string" && /^https?:\/\//i.test(b.url)) {
        node = el("a", "choice link");
        node.href = b.url;
        node.target = "_blank";
        node.rel = "noopener noreferrer";
        withIcons(node, b.label);
        node.appendChild(hidden(" " + t("newTab")));
        links.push(node);
      }
    }
    for (i = 0; i < links.length; i++) { group.appendChild(links[i]); }
    return group;
  }
  function show(entry) {
    var item = el("div", "msg " + (entry.me ? "me" : "bot"));
    var bubble = el("p", "bubble");
    bubble.appendChild(hidden(t(entry.me ? "you" : "bot") + " "));
    withLinks(bubble, typeof entry.text === "string" ? entry.text : "");
    item.appendChild(bubble);
    if (entry.buttons instanceof Array && entry.buttons.length) { item.appendChild(choices(entry.buttons)); }
    log.appendChild(item);
    return item;
  }
  function forget(item) {
    log.removeChild(item);
  }
  // Once the person answers, the buttons of earlier replies no longer apply: they are disabled
  // (links to official pages stay). Undone when the answer could not be sent.
  function retire() {
    var list = log.querySelectorAll("button.choice:not([disabled])"), i, done = [];
    for (i = 0; i < list.length; i++) {
      list[i].disabled = true;
      done.push(list[i]);
    }
    return done;
  }
  function revive(list) {
    for (var i = 0; i < list.length; i++) { list[i].disabled = false; }
  }
  // The phone-number question opens the digit keyboard; every other reply the ordinary one.
  function expect(messages) {
    var phone = false, i;
    for (i = 0; i < messages.length; i++) { phone = !!(messages[i] && messages[i].expects === "phone"); }
    input.setAttribute("inputmode", phone ? "tel" : "text");
    input.setAttribute("autocomplete", "off");
    input.type = phone ? "tel" : "text";
  }
  function remember(messages) {
    var i, j, buttons, flow = false;
    for (i = 0; i < messages.length; i++) {
      buttons = (messages[i] && messages[i].buttons) || [];
      for (j = 0; j < buttons.length; j++) {
        if (typeof buttons[j].payload === "string" && /^f[an]:/.test(buttons[j].payload)) { flow = true; }
      }
    }
    save("flow", flow ? "1" : "0");
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
  // Each message carries a random id, and a resend (no answer came: the network dropped, or a
  // server restarted) carries the same one: the server then answers it without applying it twice.
  function lost(status) { return status === 0 || status === 502 || status === 503 || status === 504; }
  function send(body, echo, after) {
    if (busy || Date.now() < calmUntil) { return false; }
    busy = true;
    app.className = "app busy";
    say(t("busy"));
    var retired = retire();
    var mine = echo ? show({ me: true, text: echo }) : null;
    if (mine) { reveal(mine); }
    body.user = user;
    body.lang = lang;
    body.id = newId("m");
    var tries = 0;
    function again() {
      if (tries >= AGAIN.length) { return false; }
      window.setTimeout(attempt, AGAIN[tries]);
      tries += 1;
      return true;
    }
    function done() {
      busy = false;
      app.className = "app";
    }
    function failed(message) {
      if (mine) { forget(mine); }
      revive(retired);
      if (body.text && body.text.charAt(0) !== "/" && !input.value) { input.value = body.text; }
      say(message, true);
      done();
    }
    function attempt() {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", api, true);
      xhr.setRequestHeader("Content-Type", "application/json");
      xhr.timeout = TIMEOUT;
      xhr.onload = function () {
        var data = null, i, first = null, item;
        if (lost(xhr.status)) {  // no answer from the assistant (a proxy's 502): the same message again
          if (!again()) { failed(t("offline")); }
          return;
        }
        try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
        if (xhr.status === 429) {  // too fast: the server says how long to wait; the box keeps the text
          calmUntil = Date.now() + 1000 * (parseInt(xhr.getResponseHeader("Retry-After"), 10) || 5);
        }
        if (xhr.status !== 200 || !data || !(data.messages instanceof Array)) {
          failed(data && typeof data.error === "string" ? data.error : t("failed"));
          return;
        }
        if (after) { after(); }
        for (i = 0; i < data.messages.length; i++) {
          item = show(data.messages[i] || {});
          first = first || item;
        }
        watch(data.messages, false);
        expect(data.messages);
        remember(data.messages);
        say("");
        done();
        if (first) { reveal(first); }
      };
      xhr.onerror = function () { if (!again()) { failed(t("offline")); } };
      xhr.ontimeout = xhr.onerror;
      xhr.send(JSON.stringify(body));
    }
    attempt();
    return true;
  }

  // --- news from a volunteer ---
  // A reply offering "cancel my request" (an hx: button) means a help request is open: until it
  // ends, the page asks (when visible) whether a volunteer has taken it. The server holds each
  // look up to HOLD s and answers as soon as news comes; a look it held is followed by the next
  // at once, any other (an error, a server that does not hold) by the next in POLL ms.
  var waiting = load("waiting") === "1", looking = false;
  function watch(messages, polled) {
    var i, j, buttons, open = false;
    for (i = 0; i < messages.length; i++) {
      buttons = (messages[i] && messages[i].buttons) || [];
      for (j = 0; j < buttons.length; j++) {
        if (buttons[j] && typeof buttons[j].payload === "string" && buttons[j].payload.indexOf("hx:") === 0) { open = true; }
      }
    }
    if (open) { waiting = true; } else if (polled && messages.length) { waiting = false; }
    save("waiting", waiting ? "1" : "0");
    if (open) { window.setTimeout(poll, 0); }  // start looking now, not at the next POLL tick
  }
  function poll() {
    if (!waiting || busy || looking || document.hidden) { return; }
    var xhr = new XMLHttpRequest(), i, first = null, item, started = new Date().getTime();
    looking = true;
    xhr.open("GET", updates + "?wait=" + HOLD, true);
    xhr.setRequestHeader("X-Chat-User", user);  // not in the URL: proxies log URLs
    xhr.timeout = TIMEOUT;
    xhr.onload = function () {
      var data = null;
      looking = false;
      try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
      if (xhr.status !== 200 || !data || !(data.messages instanceof Array)) { return; }
      if (!data.messages.length) {
        if (new Date().getTime() - started > 1000) { window.setTimeout(poll, 0); }  // held: look again
        return;
      }
      for (i = 0; i < data.messages.length; i++) {
        item = show(data.messages[i] || {});
        first = first || item;
      }
      watch(data.messages, true);
      if (first) { reveal(first); }
    };
    xhr.onerror = function () { looking = false; };
    xhr.ontimeout = xhr.onerror;
    xhr.onabort = xhr.onerror;
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
  // "Delete chat": the server deletes what it keeps about this id (the assistant's own
  // /xoadulieu, confirmed), then the page forgets it and starts afresh as a new person.
  function startAfresh() {
    user = newId();
    save("user", user);
    waiting = false;
    save("waiting", "0");
    save("flow", "0");
    while (log.lastChild) { log.removeChild(log.lastChild); }
    input.value = "";
  }
  document.getElementById("reset").addEventListener("click", function () {
    if (busy || !window.confirm(t("confirmErase"))) { return; }
    send({ payload: "erase:yes" }, null, function () {
      startAfresh();  // before the server's "deleted" is shown; then greet the new person
      window.setTimeout(function () { send({ text: "/start" }, null); }, 0);
    });
  });

  applyLanguage();
  if (load("started") === "1") {
    // A reload: nothing of the conversation is stored here, so ask the server where it was.
    log.appendChild(el("p", "sysnote")).textContent = t("resumed");
    send(load("flow") === "1" ? { payload: "fn:continue" } : { text: "/start" }, null);
  } else {
    save("started", "1");
    send({ text: "/start" }, null);
  }
})();
