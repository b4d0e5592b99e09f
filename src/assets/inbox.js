/* inquiry-desk sales inbox: a small client of the staff API. The key lives in sessionStorage
 * only: gone when the tab closes, never written to persistent storage or a cookie. */
(function () {
  "use strict";
  var KEY = "inquiry-desk.key";
  // Every code's label comes from the page (the server's code tables), keyed by the API's codes.
  var LABELS = JSON.parse(document.getElementById("labels").textContent);
  function table(pairs) {
    var map = {};
    pairs.forEach(function (pair) { map[pair[0]] = pair[1]; });
    return map;
  }
  var STATUS = table(LABELS.status);
  var FIELD = table(LABELS.field);
  var EVENT = table(LABELS.event_kind);
  var NOTICE = table(LABELS.message_kind);
  var NOTICE_STATE = table(LABELS.outbox_state);
  var TABS = [["", "全部"]].concat(LABELS.status);
  var MOVE = {};
  LABELS.status.forEach(function (pair) { MOVE[pair[0]] = "标为" + pair[1]; });
  var state = { status: "", q: "", article: "", cursor: null, admin: false, current: null, etag: null };

  function $(id) { return document.getElementById(id); }

  /* Builds an element; strings become text nodes (never HTML). */
  function h(tag, attrs) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "class") el.className = attrs[k];
      else if (k === "text") el.textContent = attrs[k];
      else if (k.slice(0, 2) === "on") el.addEventListener(k.slice(2), attrs[k]);
      else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) el.setAttribute(k, attrs[k]);
    });
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined) continue;
      el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return el;
  }

  function when(at) {
    return new Date(at).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false });
  }

  function banner(text) {
    var b = $("banner");
    b.textContent = text || "";
    b.hidden = !text;
  }

  function key() { return sessionStorage.getItem(KEY); }

  function ApiError(status, detail) { this.status = status; this.detail = detail; }

  /* Calls the API with the key; turns every failure into a clear Chinese message. */
  function api(path, options) {
    options = options || {};
    var headers = Object.assign({ "Authorization": "Bearer " + key(), "Accept": "application/json" }, options.headers || {});
    return fetch(path, Object.assign({}, options, { headers: headers, credentials: "omit" }))
      .catch(function () {
        throw new ApiError(0, "网络连接失败，请检查网络后重试。");
      })
      .then(function (response) {
        if (response.ok) return response;
        return response.json().catch(function () { return {}; }).then(function (problem) {
          var detail = problem.detail || ("请求失败（" + response.status + "）");
          if (problem.errors && problem.errors.length) {
            detail = problem.errors.map(function (e) { return e.message; }).join("；");
          }
          if (response.status === 401) {
            signOut("密钥无效或已被吊销，请重新登录。");
          }
          throw new ApiError(response.status, detail);
        });
      });
  }

  function json(path, options) { return api(path, options).then(function (r) { return r.json(); }); }

  function showSignIn(message) {
    $("app").hidden = true;
    $("signin").hidden = false;
    $("signin-error").textContent = message || "";
    $("key").focus();
  }

  function signOut(message) {
    sessionStorage.removeItem(KEY);
    state.current = null;
    showSignIn(message);
  }

  function signIn(event) {
    event.preventDefault();
    var value = $("key").value.trim();
    if (!/^idk_[0-9a-f]{64}$/.test(value)) {
      $("signin-error").textContent = "密钥格式不对：应以 idk_ 开头，后跟 64 位十六进制字符。";
      return;
    }
    sessionStorage.setItem(KEY, value);
    json("/api/v1/inquiries?limit=1").then(function () {
      $("key").value = "";
      start();
    }).catch(function (e) {
      if (e.status !== 401) {
        sessionStorage.removeItem(KEY);
        $("signin-error").textContent = e.detail;
      }
    });
  }

  function start() {
    $("signin").hidden = true;
    $("app").hidden = false;
    banner("");
    // Admin keys may export: the key list answers only to them.
    api("/api/v1/keys").then(function () {
      state.admin = true;
      $("export").hidden = false;
      $("whoami").textContent = "管理员";
    }).catch(function () {
      state.admin = false;
      $("export").hidden = true;
      $("whoami").textContent = "销售";
    });
    loadArticles();
    loadList(true);
    route();
  }

  function loadArticles() {
    json("/api/v1/articles?sort=recent&limit=200").then(function (page) {
      var select = $("article");
      while (select.options.length > 1) select.remove(1);
      page.items.forEach(function (a) {
        select.appendChild(h("option", { value: a.id, text: (a.title || a.url) + "（" + a.inquiry_count + "）" }));
      });
      select.value = state.article;
    }).catch(function (e) { banner(e.detail); });
  }

  function filters() {
    var params = new URLSearchParams();
    if (state.status) params.set("status", state.status);
    if (state.q) params.set("q", state.q);
    if (state.article) params.set("article_id", state.article);
    return params;
  }

  function loadList(reset) {
    var params = filters();
    params.set("limit", "30");
    if (!reset && state.cursor) params.set("cursor", state.cursor);
    var asked = params.toString();
    state.asked = asked;
    return json("/api/v1/inquiries?" + asked).then(function (page) {
      if (state.asked !== asked) return; // a newer request took over
      banner("");
      var list = $("list");
      if (reset) list.textContent = "";
      page.items.forEach(function (item) { list.appendChild(listItem(item)); });
      state.cursor = page.next_cursor;
      $("more").hidden = !page.next_cursor;
      $("empty").hidden = list.children.length > 0;
      markCurrent();
    }).catch(function (e) { if (e.status !== 401) banner(e.detail); });
  }

  function listItem(item) {
    var who = [item.contact, item.company].filter(Boolean).join(" · ") || "（已匿名）";
    return h("li", { "data-id": item.id },
      h("a", { href: "#/inquiries/" + item.id },
        h("div", { class: "who", text: who }),
        h("div", { class: "need", text: item.need }),
        h("div", { class: "meta" },
          h("span", { class: "badge " + item.status, text: STATUS[item.status] || item.status }),
          h("span", { text: when(item.received_at) }),
          item.submission_count > 1 ? h("span", { text: "提交 " + item.submission_count + " 次" }) : null)));
  }

  function markCurrent() {
    Array.prototype.forEach.call($("list").children, function (li) {
      li.classList.toggle("current", li.getAttribute("data-id") === state.current);
    });
  }

  function route() {
    var match = /^#\/inquiries\/([0-9a-f-]{36})$/.exec(location.hash);
    if (match) openDetail(match[1]);
  }

  function openDetail(id) {
    state.current = id;
    markCurrent();
    return api("/api/v1/inquiries/" + id).then(function (response) {
      state.etag = response.headers.get("ETag");
      return response.json();
    }).then(renderDetail).catch(function (e) {
      if (e.status === 401) return;
      var pane = $("detail");
      pane.textContent = "";
      pane.appendChild(h("p", { class: "error", text: e.status === 404 ? "找不到这条线索。" : e.detail }));
    });
  }

  function field(label, value) {
    if (value === null || value === undefined || value === "") return [];
    return [h("dt", { text: label }), h("dd", {}, value)];
  }

  function money(cny) {
    return cny >= 10000 ? "约 " + (cny / 10000).toLocaleString("zh-CN") + " 万元/年" : "约 " + cny + " 元/年";
  }

  function describe(event) {
    var d = event.data || {};
    switch (event.kind) {
      case "received": return d.spam_reason ? "收到（判为垃圾信息：" + d.spam_reason + "）" : "收到线索";
      case "repeat": return "同一访客再次提交" + (d.number ? "（第 " + d.number + " 次）" : "") +
        (d.payload_kept === false ? "，内容未保留（仅保留前 20 次）" : "");
      case "status_changed": return "状态：" + (STATUS[d.from] || d.from) + " → " + (STATUS[d.to] || d.to);
      case "assigned": return "负责人：" + (d.to || "（未分配）");
      case "note": return d.erased ? "备注（已删除）" : "备注：" + d.body;
      case "notification_sent": return (NOTICE[d.kind] || "通知邮件") +
        (d.summary ? (channelOf(d.recipient) ? "（与其他询盘合并为一条）" : "（并入整点汇总）") : "") + "已发送至 " + target(d.recipient);
      case "notification_dead": return (NOTICE[d.kind] || "通知邮件") + "发送失败：" + target(d.recipient);
      case "notification_retried": return (NOTICE[d.kind] || "通知") + "重新发送：" + target(d.recipient) +
        (d.error ? "（上次失败：" + d.error + "）" : "");
      case "anonymised": return "已匿名化";
      default: return EVENT[event.kind] || event.kind;
    }
  }

  /* A channel's name from an outbox recipient (`channel:<name>`), or null for an email address. */
  function channelOf(recipient) {
    return typeof recipient === "string" && recipient.indexOf("channel:") === 0 ? recipient.slice(8) : null;
  }

  /* Where a notification goes, as staff read it: the address, or the group robot / webhook. */
  function target(recipient) {
    var channel = channelOf(recipient);
    return channel ? "群机器人/Webhook「" + channel + "」" : recipient;
  }

  function timelineItem(event) {
    return h("li", {}, h("div", { text: describe(event) }),
      h("div", { class: "when", text: when(event.at) + (event.actor ? " · " + event.actor : "") }));
  }

  // Timelines longer than a page (100 events) are read on: each page names the next.
  function moreButton(id, cursor, list) {
    var button = h("button", { type: "button", class: "secondary", id: "timeline-more", text: "显示更多记录" });
    button.onclick = function () {
      button.disabled = true;
      json("/api/v1/inquiries/" + id + "?timeline_cursor=" + encodeURIComponent(cursor)).then(function (page) {
        page.timeline.forEach(function (event) { list.appendChild(timelineItem(event)); });
        if (page.timeline_next_cursor) button.replaceWith(moreButton(id, page.timeline_next_cursor, list));
        else button.remove();
      }).catch(function () { button.disabled = false; });
    };
    return button;
  }

  var FLAGS = {
    article_host_not_allowed: "文章链接不属于允许的网站，未关联文章",
    article_url_invalid: "文章链接无效，未关联文章"
  };

  function renderDetail(d) {
    var pane = $("detail");
    pane.textContent = "";
    var dl = h("dl");
    var phone = d.phone ? h("a", { href: "tel:" + d.phone, text: d.phone }) : null;
    var email = d.email ? h("a", { href: "mailto:" + d.email, text: d.email }) : null;
    var article = d.article ? (d.article.url
      ? h("a", { href: d.article.url, target: "_blank", rel: "noopener noreferrer", text: d.article.title || d.article.url })
      : (d.article.title || "")) : null;
    var a = d.attribution || {};
    var utm = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"]
      .map(function (k) { return a[k]; }).filter(Boolean).join(" / ");
    // Shown as text, never as links: they are what the visitor's browser sent.
    var clicks = Object.keys(a.click_ids || {}).map(function (k) { return k + "=" + a.click_ids[k]; }).join("; ");
    var flags = (d.flags || []).map(function (f) { return FLAGS[f] || f; }).join("；");
    [
      field(FIELD.need, d.need), field("面积", d.area_sqm ? "约 " + d.area_sqm.toLocaleString("zh-CN") + " ㎡" : null),
      field(FIELD.use, d.use), field(FIELD.tax, d.tax),
      field("年纳税额", d.tax_cny_per_year ? money(d.tax_cny_per_year) : null),
      field(FIELD.company, d.company), field(FIELD.contact, d.contact), field(FIELD.phone, phone),
      field(FIELD.email, email), field(FIELD.wechat, d.wechat), field(FIELD.message, d.message), field("文章", article), field("来源", utm),
      field("落地页", a.landing_url), field("广告点击", clicks), field("来源页", a.referrer), field("提示", flags),
      field("提交次数", d.submission_count > 1 ? String(d.submission_count) : null),
      field("收到时间", when(d.received_at))
    ].forEach(function (pair) { pair.forEach(function (el) { dl.appendChild(el); }); });

    var actions = h("div", { class: "actions" });
    d.allowed_transitions.forEach(function (to) {
      actions.appendChild(h("button", { type: "button", class: "secondary", "data-status": to, text: MOVE[to] || to,
        onclick: function () { patch(d.id, { status: to }); } }));
    });

    var assignee = h("input", { id: "assignee", value: d.assignee || "", maxlength: "50", placeholder: "负责人姓名", "aria-label": "负责人" });
    var assign = h("form", { class: "row", onsubmit: function (e) {
      e.preventDefault();
      patch(d.id, { assignee: assignee.value.trim() || null });
    } }, assignee, h("button", { type: "submit", class: "secondary", text: "保存负责人" }));

    var note = h("textarea", { id: "note", maxlength: "2000", placeholder: "记录沟通情况", "aria-label": "备注" });
    var noteError = h("p", { class: "error", role: "alert" });
    var noteForm = h("form", { class: "note-form", onsubmit: function (e) {
      e.preventDefault();
      var body = note.value.trim();
      if (!body) { noteError.textContent = "请填写备注内容"; return; }
      json("/api/v1/inquiries/" + d.id + "/notes", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ body: body })
      }).then(function () { openDetail(d.id); }).catch(function (err) { noteError.textContent = err.detail; });
    } }, note, h("button", { type: "submit", text: "添加备注" }), noteError);

    var related = h("ul", { class: "related" });
    d.related.forEach(function (r) {
      related.appendChild(h("li", {}, h("a", { href: "#/inquiries/" + r.id, text: when(r.received_at) }),
        " " + (STATUS[r.status] || r.status) + (r.article && r.article.title ? " · " + r.article.title : "")));
    });

    var timeline = h("ol", { class: "timeline", id: "timeline" });
    d.timeline.forEach(function (event) { timeline.appendChild(timelineItem(event)); });

    var notices = h("ul", { class: "notifications", id: "notifications" });
    (d.notifications || []).forEach(function (n) {
      var to = n.channel === "email" ? n.recipient : target("channel:" + n.channel);
      var item = h("li", { text: (NOTICE[n.kind] || n.kind) + " → " + to + "：" +
        (NOTICE_STATE[n.state] || n.state) + (n.held_for_summary && n.state === "pending" ? "（整点汇总发送）" : "") +
        (n.attempts ? "，尝试 " + n.attempts + " 次" : "") + (n.last_error ? "，" + n.last_error : "") });
      if (state.admin && n.state === "dead") {
        // Admins send a dead one again (SPEC §6).
        item.appendChild(h("button", { type: "button", class: "retry", text: "重新发送", onclick: function () {
          json("/api/v1/inquiries/" + d.id + "/notifications/" + n.id + "/retry", { method: "POST" })
            .then(function () { openDetail(d.id); })
            .catch(function (err) { $("detail-error").textContent = err.detail || "重新发送失败"; });
        } }));
      }
      notices.appendChild(item);
    });

    pane.appendChild(h("h2", { text: [d.contact, d.company].filter(Boolean).join(" · ") || "（已匿名）" }));
    pane.appendChild(h("span", { class: "badge " + d.status, id: "status", text: STATUS[d.status] || d.status }));
    pane.appendChild(dl);
    pane.appendChild(h("p", { class: "error", id: "detail-error", role: "alert" }));
    if (d.allowed_transitions.length) pane.appendChild(actions);
    pane.appendChild(h("h3", { text: "负责人" }));
    pane.appendChild(assign);
    pane.appendChild(h("h3", { text: "备注" }));
    pane.appendChild(noteForm);
    if (d.related.length) {
      pane.appendChild(h("h3", { text: "该手机号的其他咨询" }));
      pane.appendChild(related);
    }
    if (d.notifications && d.notifications.length) {
      pane.appendChild(h("h3", { text: "通知" }));
      pane.appendChild(notices);
    }
    pane.appendChild(h("h3", { text: "时间线" }));
    pane.appendChild(timeline);
    if (d.timeline_next_cursor) pane.appendChild(moreButton(d.id, d.timeline_next_cursor, timeline));
  }

  function patch(id, change) {
    var headers = { "Content-Type": "application/json" };
    if (state.etag) headers["If-Match"] = state.etag;
    return api("/api/v1/inquiries/" + id, { method: "PATCH", headers: headers, body: JSON.stringify(change) })
      .then(function (response) {
        state.etag = response.headers.get("ETag");
        return response.json();
      })
      .then(function (d) { renderDetail(d); loadList(true); })
      .catch(function (e) {
        var box = $("detail-error");
        var text = e.status === 412 ? "这条线索刚被别人修改过，已为您刷新，请再操作一次。" : e.detail;
        if (e.status === 412) openDetail(id).then(function () { $("detail-error").textContent = text; });
        else if (box) box.textContent = text;
      });
  }

  function exportCsv() {
    var params = filters();
    api("/api/v1/inquiries/export.csv?" + params.toString(), { headers: { "Accept": "text/csv" } })
      .then(function (r) { return r.blob(); })
      .then(function (blob) {
        var link = h("a", { href: URL.createObjectURL(blob), download: "inquiries.csv" });
        document.body.appendChild(link);
        link.click();
        link.remove();
        setTimeout(function () { URL.revokeObjectURL(link.href); }, 10000);
      })
      .catch(function (e) { banner(e.detail); });
  }

  function setup() {
    var tabs = $("tabs");
    TABS.forEach(function (tab) {
      tabs.appendChild(h("button", { type: "button", role: "tab", "data-status": tab[0], "aria-selected": tab[0] === state.status ? "true" : "false", text: tab[1],
        onclick: function () {
          state.status = tab[0];
          Array.prototype.forEach.call(tabs.children, function (b) {
            b.setAttribute("aria-selected", b.getAttribute("data-status") === state.status ? "true" : "false");
          });
          loadList(true);
        } }));
    });
    var typing;
    $("q").addEventListener("input", function () {
      clearTimeout(typing);
      typing = setTimeout(function () { state.q = $("q").value.trim(); loadList(true); }, 300);
    });
    $("article").addEventListener("change", function () { state.article = $("article").value; loadList(true); });
    $("more").addEventListener("click", function () { loadList(false); });
    $("export").addEventListener("click", exportCsv);
    $("signout").addEventListener("click", function () { signOut(""); });
    $("signin-form").addEventListener("submit", signIn);
    window.addEventListener("hashchange", function () { if (key()) route(); });
    if (key()) start();
    else showSignIn(location.hash ? "请先登录，登录后将打开这条线索。" : "");
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
