//! Notification through a real SMTP server on loopback: content, escaping, failures, retries,
//! several workers, a worker dying mid-send, LISTEN/NOTIFY wake-up.

use std::time::Duration;

use inquiry_desk::notify::mail::MailRenderer;
use inquiry_desk::notify::worker::{Worker, WorkerOptions};
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::helpers::{
    spawn_app_with, spawn_with_sink, use_smtp, valid_inquiry, with, SmtpSink, TestApp,
};

async fn post(app: &TestApp, body: &Value) -> String {
    let response = app.post_json(body).await;
    assert_eq!(response.status(), 201);
    response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn outbox_rows(app: &TestApp) -> Vec<(String, String, i32)> {
    sqlx::query_as("SELECT recipient, state, attempts FROM outbox ORDER BY recipient")
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_new_inquiry_is_mailed_to_each_recipient_with_every_field() {
    let (app, sink) = spawn_with_sink(|s| {
        s.notify.default_recipients = vec![
            "sales@example.cn".parse().unwrap(),
            "王经理 <boss@example.cn>".parse().unwrap(),
        ];
        s.notify.from = "询盘通知 <leads@example.cn>".parse().unwrap();
        s.server.public_base_url = "https://leads.example.cn".into();
    })
    .await;
    let body = with(
        valid_inquiry(),
        &[
            ("email", json!("wang@visitor.cn")),
            ("wechat", json!("wang_zong88")),
            ("message", json!("工作日可来电")),
        ],
    );
    let id = post(&app, &body).await;
    assert_eq!(app.worker().dispatch_pending().await.unwrap(), 2);

    let mut messages = sink.messages();
    assert_eq!(messages.len(), 2);
    messages.sort_by(|a, b| a.envelope_to.cmp(&b.envelope_to));
    assert_eq!(messages[0].envelope_to, vec!["boss@example.cn"]);
    assert_eq!(messages[1].envelope_to, vec!["sales@example.cn"]);
    let m = &messages[1];
    assert_eq!(
        m.subject,
        "新询盘｜珠海某某电子有限公司｜求租高新区标准厂房2000平方米，层高8米以上"
    );
    assert_eq!(m.from, "leads@example.cn");
    assert_eq!(m.reply_to.as_deref(), Some("wang@visitor.cn"));
    let renderer = MailRenderer::new(&app.settings).unwrap();
    let expected_id = renderer.message_id(id.parse().unwrap(), "sales@example.cn");
    assert_eq!(format!("<{}>", m.message_id), expected_id);
    assert_ne!(messages[0].message_id, messages[1].message_id);
    // minijinja escapes `/` as `&#x2f;` in the HTML part; a browser shows it as `/`.
    let html = m.html.replace("&#x2f;", "/");
    for part in [&m.text, &html] {
        for expected in [
            "求租高新区标准厂房2000平方米",
            "电子元器件组装、仓储",
            "年纳税约300万",
            "3,000,000",
            "2,000",
            "珠海某某电子有限公司",
            "王总",
            "+8613912345678",
            "wang@visitor.cn",
            "wang_zong88",
            "工作日可来电",
            "高新区标准厂房出租",
            "https://www.example.cn/zhuhai/factory-1.html",
            "baidu",
            "北京时间",
            id.as_str(),
        ] {
            assert!(part.contains(expected), "{expected} missing from:\n{part}");
        }
        let link = format!("https://leads.example.cn/inbox#/inquiries/{id}");
        assert!(part.contains(&link), "staff link missing from:\n{part}");
    }

    assert_eq!(
        outbox_rows(&app).await,
        vec![
            ("sales@example.cn".into(), "sent".into(), 1),
            ("王经理 <boss@example.cn>".into(), "sent".into(), 1)
        ]
    );
    let sent_events = app
        .count("SELECT count(*) FROM inquiry_events WHERE kind = 'notification_sent'")
        .await;
    assert_eq!(sent_events, 2);
    let attempts = app
        .count("SELECT count(*) FROM outbox_attempts WHERE outcome = 'sent'")
        .await;
    assert_eq!(attempts, 2);
    assert_eq!(
        app.worker().dispatch_pending().await.unwrap(),
        0,
        "nothing sent twice"
    );
}

#[tokio::test]
async fn visitor_markup_is_escaped_in_the_html_part() {
    let (app, sink) = spawn_with_sink(|_| {}).await;
    let body = with(
        valid_inquiry(),
        &[
            ("company", json!("<script>alert('c')</script>公司")),
            (
                "need",
                json!("需要<script>alert(1)</script>厂房 & <b>仓库</b>"),
            ),
        ],
    );
    post(&app, &body).await;
    app.worker().dispatch_pending().await.unwrap();
    let m = &sink.messages()[0];
    assert!(!m.html.contains("<script>"), "{}", m.html);
    assert!(!m.html.contains("<b>仓库</b>"), "{}", m.html);
    assert!(m.html.contains("&lt;script&gt;alert("), "{}", m.html);
    assert!(m.html.contains("&amp;"), "{}", m.html);
    assert!(
        m.text
            .contains("需要<script>alert(1)</script>厂房 & <b>仓库</b>"),
        "{}",
        m.text
    );
}

#[tokio::test]
async fn an_inquiry_without_email_has_no_reply_to_and_the_contact_names_the_subject() {
    let (app, sink) = spawn_with_sink(|_| {}).await;
    let mut body = valid_inquiry();
    body.as_object_mut().unwrap().remove("company");
    post(&app, &body).await;
    app.worker().dispatch_pending().await.unwrap();
    let m = &sink.messages()[0];
    assert_eq!(m.reply_to, None);
    assert!(m.subject.starts_with("新询盘｜王总｜"), "{}", m.subject);
}

#[tokio::test]
async fn while_smtp_is_down_rows_wait_and_are_delivered_after_recovery() {
    let port = SmtpSink::reserve_port();
    let app = spawn_app_with(|s| use_smtp(s, port)).await;
    post(&app, &valid_inquiry()).await;
    app.worker().dispatch_pending().await.unwrap();
    let (state, attempts, error, waits): (String, i32, Option<String>, bool) = sqlx::query_as(
        "SELECT state, attempts, last_error, next_attempt_at > now() + interval '20 seconds' FROM outbox",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((state.as_str(), attempts), ("pending", 1));
    assert!(error.is_some());
    assert!(waits, "backs off about retry_initial_delay (30s ± 25 %)");
    assert_eq!(
        app.count("SELECT count(*) FROM outbox_attempts WHERE outcome = 'transient'")
            .await,
        1
    );

    // The server comes back. A new inquiry is sent at once, and its success makes the waiting
    // row due now rather than after its backoff.
    let dir = std::env::temp_dir().join(format!("inquiry-desk-mail-{}", uuid::Uuid::new_v4()));
    let sink = SmtpSink::start_on(port, dir).await;
    let second = with(valid_inquiry(), &[("phone", json!("13800138000"))]);
    post(&app, &second).await;
    app.worker().dispatch_pending().await.unwrap();
    assert_eq!(sink.messages().len(), 2, "both delivered after recovery");
    assert_eq!(
        app.count("SELECT count(*) FROM outbox WHERE state = 'sent'")
            .await,
        2
    );
}

#[tokio::test]
async fn a_550_answer_is_dead_after_one_attempt() {
    let (app, sink) = spawn_with_sink(|s| {
        s.notify.default_recipients = vec!["reject@example.cn".parse().unwrap()];
    })
    .await;
    let id = post(&app, &valid_inquiry()).await;
    app.worker().dispatch_pending().await.unwrap();
    assert_eq!(
        outbox_rows(&app).await,
        vec![("reject@example.cn".into(), "dead".into(), 1)]
    );
    let error: String = sqlx::query_scalar("SELECT last_error FROM outbox")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(error.contains("550"), "{error}");
    let (kind, data): (String, Value) = sqlx::query_as(
        "SELECT kind, data FROM inquiry_events WHERE inquiry_id = $1::uuid ORDER BY id DESC LIMIT 1",
    )
    .bind(&id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(kind, "notification_dead");
    assert_eq!(data["recipient"], "reject@example.cn");
    assert_eq!(
        app.count("SELECT count(*) FROM outbox_attempts WHERE outcome = 'permanent'")
            .await,
        1
    );
    assert!(sink.messages().is_empty());
    assert_eq!(
        app.worker().dispatch_pending().await.unwrap(),
        0,
        "never retried"
    );
}

#[tokio::test]
async fn a_451_answer_is_retried_until_attempts_run_out() {
    let (app, _sink) = spawn_with_sink(|s| {
        s.notify.default_recipients = vec!["tempfail@example.cn".parse().unwrap()];
        s.notify.max_attempts = 3;
        s.notify.retry_initial_delay = Duration::from_secs(60);
    })
    .await;
    post(&app, &valid_inquiry()).await;
    let worker = app.worker();
    for attempt in 1..=3 {
        worker.dispatch_pending().await.unwrap();
        let (state, attempts, error): (String, i32, String) =
            sqlx::query_as("SELECT state, attempts, last_error FROM outbox")
                .fetch_one(&app.pool)
                .await
                .unwrap();
        assert_eq!(attempts, attempt);
        assert!(error.contains("451"), "{error}");
        let expected = if attempt < 3 { "pending" } else { "dead" };
        assert_eq!(state, expected, "after attempt {attempt}");
        // Time passes: the row is due again.
        sqlx::query("UPDATE outbox SET next_attempt_at = now()")
            .execute(&app.pool)
            .await
            .unwrap();
    }
    assert_eq!(
        app.count("SELECT count(*) FROM outbox_attempts WHERE outcome = 'transient'")
            .await,
        3
    );
    assert_eq!(
        app.count("SELECT count(*) FROM inquiry_events WHERE kind = 'notification_dead'")
            .await,
        1
    );
    assert_eq!(worker.dispatch_pending().await.unwrap(), 0);
}

#[tokio::test]
async fn two_workers_on_one_database_send_each_message_once() {
    let (app, sink) = spawn_with_sink(|s| s.database.max_connections = 20).await;
    for i in 0..40 {
        let body = with(
            valid_inquiry(),
            &[("phone", json!(format!("1390000{i:04}")))],
        );
        post(&app, &body).await;
    }
    let small = WorkerOptions {
        batch_size: 5,
        concurrency: 2,
        ..Default::default()
    };
    let (a, b) = (app.worker_with(small.clone()), app.worker_with(small));
    let (sent_a, sent_b) = tokio::join!(a.dispatch_pending(), b.dispatch_pending());
    let (sent_a, sent_b) = (sent_a.unwrap(), sent_b.unwrap());
    assert_eq!(sent_a + sent_b, 40);
    assert!(sent_a > 0 && sent_b > 0, "both worked: {sent_a} + {sent_b}");
    let mut ids: Vec<String> = sink.messages().into_iter().map(|m| m.message_id).collect();
    assert_eq!(ids.len(), 40);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 40, "no message twice");
    assert_eq!(
        app.count("SELECT count(*) FROM outbox WHERE state = 'sent' AND attempts = 1")
            .await,
        40
    );
}

#[tokio::test]
async fn a_row_whose_worker_died_mid_send_is_sent_again_later() {
    // An SMTP server that accepts connections and then never speaks: the send hangs.
    let hole = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hole_port = hole.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = hole.accept().await {
            held.push(socket);
        }
    });
    let (app, sink) = spawn_with_sink(|_| {}).await;
    let id = post(&app, &valid_inquiry()).await;

    let mut dying = app.settings.clone();
    use_smtp(&mut dying, hole_port);
    let lease = Duration::from_secs(2);
    let doomed = {
        use inquiry_desk::notify::{mail::MailRenderer, transport::Transport, worker::Worker};
        Worker::new(
            app.pool.clone(),
            Transport::from_settings(&dying.notify, 1).unwrap(),
            MailRenderer::new(&dying).unwrap(),
            &dying.notify,
            WorkerOptions {
                lease,
                ..Default::default()
            },
        )
    };
    let task = tokio::spawn(async move { doomed.dispatch_pending().await });
    // Wait until it has claimed the row, then kill it mid-send.
    for _ in 0..100 {
        if app
            .count("SELECT count(*) FROM outbox WHERE locked_until > now()")
            .await
            == 1
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    task.abort();
    assert_eq!(
        app.count("SELECT count(*) FROM outbox WHERE state = 'pending' AND attempts = 1")
            .await,
        1
    );

    let survivor = app.worker();
    assert_eq!(
        survivor.dispatch_pending().await.unwrap(),
        0,
        "still leased to the dead worker"
    );
    tokio::time::sleep(lease + Duration::from_millis(200)).await;
    assert_eq!(survivor.dispatch_pending().await.unwrap(), 1);
    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    let renderer = MailRenderer::new(&app.settings).unwrap();
    assert_eq!(
        format!("<{}>", messages[0].message_id),
        renderer.message_id(id.parse().unwrap(), "sales@example.cn"),
        "the resend carries the stable Message-ID"
    );
    assert_eq!(
        outbox_rows(&app).await,
        vec![("sales@example.cn".into(), "sent".into(), 2)]
    );
}

/// Runs `worker`, whose poll is 10 minutes, posts one inquiry and checks that it is mailed
/// within seconds; then stops the worker.
async fn assert_woken_without_polling(app: &TestApp, sink: &SmtpSink, worker: Worker) {
    let (stop, shutdown) = watch::channel(false);
    let running = tokio::spawn(worker.run(shutdown));
    // Let it reach its wait (LISTEN established, queue empty).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    post(app, &valid_inquiry()).await;
    let messages = sink.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(
        messages.len(),
        1,
        "delivered long before the 10-minute poll"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .expect("stops on shutdown")
        .unwrap();
}

#[tokio::test]
async fn the_running_worker_is_woken_by_notify_not_by_polling() {
    let (app, sink) = spawn_with_sink(|s| s.notify.poll_interval = Duration::from_secs(600)).await;
    // Not attached to the app's wake-ups, as a worker in another instance.
    assert_woken_without_polling(&app, &sink, app.worker()).await;
}

#[tokio::test]
async fn a_worker_in_the_same_process_is_woken_directly_without_notify() {
    let (app, sink) = spawn_with_sink(|s| s.notify.poll_interval = Duration::from_secs(600)).await;
    // Listening as a worker in another instance would: no NOTIFY may come, since the intake does
    // not notify when a worker in its process takes the wake-ups.
    let mut listener = sqlx::postgres::PgListener::connect_with(&app.pool)
        .await
        .unwrap();
    listener
        .listen(inquiry_desk::storage::outbox::CHANNEL)
        .await
        .unwrap();
    assert_woken_without_polling(&app, &sink, app.worker().woken_by(&app.wakeup)).await;
    assert!(
        tokio::time::timeout(Duration::from_millis(500), listener.recv())
            .await
            .is_err(),
        "no NOTIFY was sent"
    );
}

#[tokio::test]
async fn without_an_smtp_host_mail_is_written_as_eml_files() {
    let app = spawn_app_with(|_| {}).await;
    post(&app, &valid_inquiry()).await;
    let dir = std::env::temp_dir().join(format!("inquiry-desk-eml-{}", uuid::Uuid::new_v4()));
    let worker = {
        use inquiry_desk::notify::{mail::MailRenderer, transport::Transport, worker::Worker};
        Worker::new(
            app.pool.clone(),
            Transport::file(dir.clone()).unwrap(),
            MailRenderer::new(&app.settings).unwrap(),
            &app.settings.notify,
            WorkerOptions::default(),
        )
    };
    assert_eq!(worker.dispatch_pending().await.unwrap(), 1);
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .collect();
    assert_eq!(files.len(), 1);
    let raw = std::fs::read(files[0].path()).unwrap();
    let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
    assert!(message
        .subject()
        .unwrap()
        .starts_with("新询盘｜珠海某某电子有限公司｜"));
    assert_eq!(
        app.count("SELECT count(*) FROM outbox WHERE state = 'sent'")
            .await,
        1
    );
}

#[tokio::test]
async fn graceful_shutdown_finishes_the_send_in_flight() {
    let (app, sink) = spawn_with_sink(|s| {
        s.notify.default_recipients = vec!["slow@example.cn".parse().unwrap()];
    })
    .await;
    let (stop, shutdown) = watch::channel(false);
    let running = tokio::spawn(app.worker().run(shutdown));
    post(&app, &valid_inquiry()).await;
    for _ in 0..100 {
        if app
            .count("SELECT count(*) FROM outbox WHERE locked_until > now()")
            .await
            == 1
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .expect("stops")
        .unwrap();
    assert_eq!(sink.messages().len(), 1, "the send in flight was finished");
    assert_eq!(
        outbox_rows(&app).await,
        vec![("slow@example.cn".into(), "sent".into(), 1)]
    );
}

#[tokio::test]
async fn the_worker_waits_out_a_database_outage_without_a_restart() {
    use inquiry_desk::notify::{mail::MailRenderer, transport::Transport, worker::Worker};
    use secrecy::ExposeSecret;

    let (app, sink) =
        spawn_with_sink(|s| s.notify.poll_interval = Duration::from_millis(300)).await;
    let mut url = url::Url::parse(app.settings.database.url.expose_secret()).unwrap();
    let target = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432));
    let target = tokio::net::lookup_host(target)
        .await
        .unwrap()
        .next()
        .unwrap();
    let proxy = crate::helpers::DbProxy::start(target).await;
    url.set_host(Some("127.0.0.1")).unwrap();
    url.set_port(Some(proxy.port)).unwrap();
    let mut through_proxy = app.settings.database.clone();
    through_proxy.url = secrecy::SecretString::from(url.to_string());
    through_proxy.acquire_timeout = Duration::from_secs(1);
    let worker = Worker::new(
        inquiry_desk::storage::connection::pool(&through_proxy).unwrap(),
        Transport::from_settings(&app.settings.notify, 2).unwrap(),
        MailRenderer::new(&app.settings).unwrap(),
        &app.settings.notify,
        WorkerOptions::default(),
    );
    let (stop, shutdown) = watch::channel(false);
    let running = tokio::spawn(worker.run(shutdown));
    tokio::time::sleep(Duration::from_millis(300)).await;

    proxy.cut();
    post(&app, &valid_inquiry()).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        sink.messages().is_empty(),
        "the worker cannot reach the database"
    );

    proxy.restore();
    let messages = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(messages.len(), 1, "delivered once the database is back");
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .unwrap()
        .unwrap();
}
