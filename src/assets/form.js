/* inquiry-desk embeddable form: enhances <form data-inquiry-desk> (see /embed/demo).
 * Without this script the form still posts and the visitor is redirected to a thank-you page. */
(function () {
  "use strict";
  // Field rules and the API's own Chinese messages: data the server serves with this script
  // (`window.inquiryDesk.rules`, from its field catalogue).
  var RULES = (window.inquiryDesk && window.inquiryDesk.rules) || { fields: {}, messages: {} };
  var script = document.currentScript;
  // A token a little younger than the server's 24-hour limit is still sent.
  var TOKEN_MAX_AGE_MS = 23 * 60 * 60 * 1000;
  var apiBase = script ? new URL(script.src, location.href).origin : location.origin;

  function chars(text) {
    return Array.from(text).length;
  }

  function normalise(text) {
    return (text.normalize ? text.normalize("NFKC") : text).trim();
  }

  // What the server reads in a phone number: any punctuation around and between the digits,
  // and the invisible format characters copy-paste brings along. This check only catches what
  // the server certainly refuses (letters, too few or too many digits, an 11-digit number
  // starting with 1 that is no mobile range); it must never be stricter than the server.
  function unicodeClass(name, flags, fallback) {
    try { return new RegExp("\\p{" + name + "}", flags); } catch (e) { return fallback; }
  }
  var FORMAT_CHARS = unicodeClass("Cf", "gu", /[\u00AD\u0600-\u0605\u061C\u06DD\u070F\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\uFFF9-\uFFFB]/g);
  var LETTER = unicodeClass("L", "u", /[A-Za-z\u00C0-\u024F\u0370-\u04FF\u3040-\u30FF\u3400-\u9FFF]/);
  var DIGIT = unicodeClass("Nd", "gu", /[0-9]/g);

  function looksLikePhone(text) {
    // The katakana prolonged sound mark is a dash to libphonenumber, not a letter.
    var t = text.replace(FORMAT_CHARS, "").replace(/[\u30FC\uFF70]/g, "-");
    if (LETTER.test(t)) return false;
    var count = (t.match(DIGIT) || []).length;
    var ascii = t.replace(/[^0-9]/g, "");
    if (ascii.length === 11 && count === 11 && ascii.charAt(0) === "1" && t.indexOf("+") < 0) {
      return /^1[3-9][0-9]{9}$/.test(ascii);
    }
    return count >= 7 && count <= 28;
  }

  function checkField(name, value) {
    var rule = RULES.fields[name];
    // WeChat is free text that never blocks a lead (the server folds, reads and cuts it).
    if (!rule || name === "wechat") return null;
    value = normalise(value);
    if (!value) return rule.required ? rule.messages.required : null;
    if (chars(value) > rule.max) return rule.messages.too_long;
    if (rule.single_line && /[\r\n]/.test(value)) return rule.messages.line_break;
    if (name === "phone" && !looksLikePhone(value)) return RULES.messages.invalid_phone;
    // The ideographic full stop a Chinese input method types is a dot, as on the server.
    if (name === "email" && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value.replace(/[\u3002\uFF61]/g, "."))) {
      return RULES.messages.invalid_email;
    }
    return null;
  }

  function errorBox(form, name) {
    var input = form.elements[name];
    if (!input) return null;
    var id = input.getAttribute("aria-describedby");
    var box = id && document.getElementById(id);
    if (!box) {
      box = document.createElement("p");
      box.className = "idk-error";
      box.id = (input.id || "idk-" + name) + "-error";
      input.setAttribute("aria-describedby", box.id);
      input.parentNode.appendChild(box);
    }
    return box;
  }

  function showError(form, name, message) {
    var input = form.elements[name];
    var box = errorBox(form, name);
    if (!input || !box) return;
    box.textContent = message || "";
    input.setAttribute("aria-invalid", message ? "true" : "false");
    input.parentNode.classList.toggle("idk-invalid", !!message);
  }

  function setHidden(form, name, value) {
    if (!value) return;
    var input = form.elements[name];
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      form.appendChild(input);
    }
    if (!input.value) input.value = value;
  }

  function pageTitle() {
    var og = document.querySelector('meta[property="og:title"]');
    return (og && og.content) || document.title || "";
  }

  // Also tells whether the service lets this page's scripts reach it: a token request that
  // fails while the browser is online is, in practice, a host its CORS does not allow (the
  // public routes allow the same hosts), and then the form is sent as a plain form post.
  function fetchToken(form) {
    fetch(apiBase + "/api/v1/form-token", { credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : null; }, function () {
        if (navigator.onLine !== false) form.idkBlocked = true;
        return null;
      })
      .then(function (body) {
        if (body && body.token) {
          form.elements._ts.value = body.token;
          form.idkTokenAt = Date.now();
        }
      })
      .catch(function () { /* no token: the server simply does not check fill time */ });
  }

  function thank(form) {
    var done = document.createElement("div");
    done.className = "idk-thanks";
    done.setAttribute("role", "status");
    var title = document.createElement("p");
    title.className = "idk-thanks-title";
    title.textContent = RULES.messages.thanks_title;
    var text = document.createElement("p");
    text.textContent = RULES.messages.thanks_text;
    done.appendChild(title);
    done.appendChild(text);
    form.replaceWith(done);
    done.tabIndex = -1;
    done.focus();
  }

  // 128 random bits as hex; crypto.getRandomValues is in every browser the form supports.
  function idempotencyKey() {
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return "form-" + Array.prototype.map.call(bytes, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }

  function enhance(form) {
    if (form.dataset.idkReady) return;
    form.dataset.idkReady = "1";
    var page = location.href.split("#")[0];
    setHidden(form, "article_url", page);
    setHidden(form, "article_title", pageTitle());
    new URLSearchParams(location.search).forEach(function (value, key) {
      if (/^utm_(source|medium|campaign|term|content)$/.test(key)) setHidden(form, key, value);
    });
    if (!form.elements._ts) {
      var ts = document.createElement("input");
      ts.type = "hidden";
      ts.name = "_ts";
      form.appendChild(ts);
    }
    fetchToken(form);

    var touched = {};
    Object.keys(RULES.fields).forEach(function (name) {
      var input = form.elements[name];
      if (!input) return;
      input.addEventListener("blur", function () {
        touched[name] = true;
        showError(form, name, checkField(name, input.value));
      });
      input.addEventListener("input", function () {
        if (touched[name]) showError(form, name, checkField(name, input.value));
      });
    });

    var status = form.querySelector(".idk-status");
    var button = form.querySelector("[type=submit]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var first = null;
      Object.keys(RULES.fields).forEach(function (name) {
        var input = form.elements[name];
        if (!input) return;
        touched[name] = true;
        var message = checkField(name, input.value);
        showError(form, name, message);
        if (message && !first) first = input;
      });
      if (first) {
        first.focus();
        return;
      }
      // The server files a token older than 24 hours as a bot's; a tab left open overnight is
      // a person's, so its token is left out (no token: no fill-time check) rather than sent.
      if (form.elements._ts && Date.now() - (form.idkTokenAt || 0) > TOKEN_MAX_AGE_MS) {
        form.elements._ts.value = "";
      }
      var body = {};
      new FormData(form).forEach(function (value, key) { body[key] = value; });
      var payload = JSON.stringify(body);
      // One key per content: a retry after a network error (or a second click) with the same
      // text replays the first answer instead of filing the lead twice; changed text is a new
      // submission (the server scopes keys to the visitor, so no one else can use them).
      if (form.idkPayload !== payload) {
        form.idkPayload = payload;
        form.idkKey = idempotencyKey();
      }
      if (status) status.textContent = RULES.messages.sending;
      if (button) button.disabled = true;
      if (form.idkBlocked) {
        // This page's scripts may not post to the service: the browser posts the form itself,
        // which needs no permission and ends on the thank-you page.
        HTMLFormElement.prototype.submit.call(form);
        return;
      }
      fetch(form.action, {
        method: "POST",
        credentials: "omit",
        headers: { "Content-Type": "application/json", "Accept": "application/json", "Idempotency-Key": form.idkKey },
        body: payload
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (answer) {
          if (response.ok) return thank(form);
          if (button) button.disabled = false;
          var errors = answer.errors || [];
          var shown = false;
          errors.forEach(function (e) {
            if (form.elements[e.field]) {
              showError(form, e.field, e.message);
              if (!shown) form.elements[e.field].focus();
              shown = true;
            }
          });
          if (status) status.textContent = shown ? answer.detail : (answer.detail || RULES.messages.failed);
        });
      }, function () {
        // No answer: the lead may or may not have arrived. A retry sends the same
        // Idempotency-Key, so it is never filed twice.
        if (button) button.disabled = false;
        if (status) status.textContent = RULES.messages.network;
      });
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-inquiry-desk]"), enhance);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
