//! The public surface under attack (issue 15): what a client sends never becomes unbounded
//! server state, slow clients cannot hold connections, the client IP is read as proxies write
//! it, and the headers that keep staff data out of caches and the docs page out of frames.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::binary::serve_ready;
use crate::helpers::{fresh_database_url, spawn_app_with, valid_inquiry, SmtpSink};

/// Sends `request` on a new connection and reads until the server closes it or `wait` passes;
/// returns what was read and how long it took.
fn exchange(port: u16, request: &[u8], wait: Duration) -> (String, Duration) {
    let started = Instant::now();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_read_timeout(Some(wait)).expect("timeout");
    stream.write_all(request).expect("write");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

fn port_of(address: &str) -> u16 {
    address
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("a port")
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS")
}

#[tokio::test]
async fn methods_the_api_does_not_use_are_405_and_grow_neither_metrics_nor_memory() {
    let port = SmtpSink::reserve_port();
    let child = serve_ready(&fresh_database_url(), port).await;
    let client = reqwest::Client::new();
    let metrics = || async {
        client
            .get(format!("http://127.0.0.1:{port}/metrics"))
            .send()
            .await
            .expect("scrape")
            .text()
            .await
            .expect("metrics text")
    };
    // Warm up: every metric family that a request creates exists before the first reading.
    let _ = exchange(
        port,
        b"BREW /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        Duration::from_secs(5),
    );
    let before_metrics = metrics().await.len();
    let before_rss = rss_kib(child.pid());
    let mut refused = 0;
    for i in 0..200 {
        // A different 32 KB method each time, on a known path and on an unknown one.
        let method = format!("M{i:04}{}", "X".repeat(32 * 1024 - 5));
        let path = if i % 2 == 0 {
            "/api/v1/inquiries"
        } else {
            "/nowhere"
        };
        let request = format!("{method} {path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
        let (answer, _) = exchange(port, request.as_bytes(), Duration::from_secs(5));
        if answer.starts_with("HTTP/1.1 405") {
            assert!(answer.contains("allow: "), "{answer}");
            refused += 1;
        } else {
            // Refused by the HTTP parser itself (too long a head) is refused too.
            assert!(
                answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
                "{}",
                &answer[..answer.len().min(200)]
            );
        }
    }
    assert!(
        refused > 0,
        "the 32 KB methods reach the service and are answered 405"
    );
    let after_metrics = metrics().await;
    let after_rss = rss_kib(child.pid());
    println!(
        "method flood: /metrics {} -> {} bytes, RSS {} -> {} KiB, {} answered 405",
        before_metrics,
        after_metrics.len(),
        before_rss,
        after_rss,
        refused
    );
    assert!(
        after_metrics.len() < before_metrics + 4096,
        "/metrics grew from {before_metrics} to {} bytes",
        after_metrics.len()
    );
    assert!(!after_metrics.contains("XXXX"), "no method became a label");
    assert!(
        after_metrics.contains("method=\"other\""),
        "counted as other"
    );
    assert!(
        after_rss < before_rss + 8 * 1024,
        "RSS grew from {before_rss} KiB to {after_rss} KiB"
    );
    child.stop();
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_is_408_on_every_route_that_reads_one() {
    let app = spawn_app_with(|s| s.server.body_timeout = Duration::from_secs(1)).await;
    let port = port_of(&app.address);
    let key = app.admin().await;
    let id = app.submit(&valid_inquiry()).await;
    let routes = [
        ("POST", "/api/v1/inquiries".to_string(), "application/json"),
        (
            "POST",
            "/api/v1/inquiries".to_string(),
            "application/x-www-form-urlencoded",
        ),
        (
            "PATCH",
            format!("/api/v1/inquiries/{id}"),
            "application/json",
        ),
        (
            "POST",
            format!("/api/v1/inquiries/{id}/notes"),
            "application/json",
        ),
        ("POST", "/api/v1/keys".to_string(), "application/json"),
    ];
    for (method, path, content_type) in &routes {
        // Headers only: the declared body never comes.
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer {key}\r\n\
             Content-Type: {content_type}\r\nContent-Length: 200\r\n\r\n"
        );
        let (answer, took) = exchange(port, head.as_bytes(), Duration::from_secs(10));
        assert!(
            answer.starts_with("HTTP/1.1 408"),
            "{method} {path}: {answer}"
        );
        assert!(answer.contains("request_timeout"), "{answer}");
        assert!(
            took < Duration::from_secs(5),
            "{method} {path} took {took:?}"
        );
        assert!(
            took >= Duration::from_millis(900),
            "not before the timeout: {took:?}"
        );
        // The connection is closed after the 408 (read_to_end returned before the wait).
        assert!(took < Duration::from_secs(10));
    }
    // Chunked: no chunk at all, or a chunk now and then (actix-web would drain such a body
    // for as long as it comes): 408 and the connection closed all the same.
    let chunked =
        "POST /api/v1/inquiries HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n\
                   Transfer-Encoding: chunked\r\n\r\n";
    let (answer, took) = exchange(port, chunked.as_bytes(), Duration::from_secs(10));
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(took < Duration::from_secs(8), "closed after {took:?}");
    // Refused before the body is read (no key): the connection is closed too, not drained.
    let unread = "POST /api/v1/keys HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n\
                  Transfer-Encoding: chunked\r\n\r\n";
    let (answer, took) = exchange(port, unread.as_bytes(), Duration::from_secs(15));
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(took < Duration::from_secs(10), "closed after {took:?}");
    let started = Instant::now();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(12)))
        .unwrap();
    stream.write_all(chunked.as_bytes()).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let trickle = std::thread::spawn(move || {
        for _ in 0..50 {
            if writer.write_all(b"1\r\n \r\n").is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 408"));
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "closed after {:?}",
        started.elapsed()
    );
    let _ = trickle.join();
    // A body trickled a byte at a time is cut off too.
    let started = Instant::now();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(b"POST /api/v1/inquiries HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        .unwrap();
    let mut answer = Vec::new();
    for _ in 0..20 {
        std::thread::sleep(Duration::from_millis(200));
        if stream.write_all(b" ").is_err() {
            break;
        }
    }
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(8));
    // A body that arrives in time is unaffected (a new connection: the first one idled out).
    let fresh = reqwest::Client::new();
    let response = fresh
        .post(app.url("/api/v1/inquiries"))
        .json(&valid_inquiry())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn an_export_whose_client_stops_reading_gives_its_database_connection_back() {
    let app = spawn_app_with(|s| {
        s.database.max_connections = 2;
        s.database.acquire_timeout = Duration::from_secs(2);
        // The stall limit is a setting (60 s by default), so the test waits seconds, not a minute.
        s.server.stalled_download_timeout = Duration::from_secs(8);
    })
    .await;
    let key = app.admin().await;
    // Enough rows (about 60 MB of CSV) that no socket buffer holds the export.
    sqlx::query(
        "INSERT INTO inquiries (id, need, contact, phone, received_at, search_keys)
         SELECT gen_random_uuid(), repeat('求租标准厂房两千平方米', 45), '王总',
                '+86139' || lpad(n::text, 8, '0'), now() - make_interval(secs => n), '{}'
           FROM generate_series(1, 40000) AS n",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let port = port_of(&app.address);
    // Two downloads that read their first bytes and then stop: one pool connection each.
    let mut stalled = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .write_all(
                format!("GET /api/v1/inquiries/export.csv HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer {key}\r\n\r\n")
                    .as_bytes(),
            )
            .unwrap();
        let mut first = [0u8; 1024];
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let n = stream.read(&mut first).unwrap();
        assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"));
        stalled.push(stream);
    }
    // While they hold the pool, other staff requests wait for a connection and get 503.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let blocked = app.get_as(&key, "/api/v1/inquiries?limit=1").await;
    assert_eq!(
        blocked.status(),
        503,
        "the stalled exports hold every connection"
    );
    // Within the stall limit of the last byte taken, the exports give their connections back.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let started = Instant::now();
    let list = app.get_as(&key, "/api/v1/inquiries?limit=1").await;
    assert_eq!(list.status(), 200);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    drop(stalled);
}

#[tokio::test]
async fn x_forwarded_for_is_read_as_proxies_write_it() {
    let app = spawn_app_with(|s| {
        s.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        s.intake.rate_limit_per_minute = 10;
        s.intake.rate_limit_burst = 5;
    })
    .await;
    let forms = [
        ("203.0.113.7:51234", "203.0.113.7"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("198.51.100.9, unknown", "198.51.100.9"),
        ("unknown, 198.51.100.10:80", "198.51.100.10"),
        ("\"[2001:db8:5::7]\"", "2001:db8:5::7"),
        ("198.51.100.11, garbage!!", "198.51.100.11"),
        ("198.51.100.12 , 127.0.0.1", "198.51.100.12"),
    ];
    // Posts an inquiry (a phone of its own) through the proxy; the client IP stored.
    let post_through = |header: &'static str, phone: String| {
        let app = &app;
        async move {
            let mut body = valid_inquiry();
            body["phone"] = phone.into();
            let response = app
                .client
                .post(app.url("/api/v1/inquiries"))
                .header("X-Forwarded-For", header)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 201, "{header}");
            let id = response.json::<serde_json::Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string();
            let stored: Option<String> =
                sqlx::query_scalar("SELECT host(client_ip) FROM inquiries WHERE id = $1::uuid")
                    .bind(&id)
                    .fetch_one(&app.pool)
                    .await
                    .unwrap();
            stored
        }
    };
    // A proxy that names no address: the client is unknown, never the proxy itself (which would
    // put every visitor in one bucket: eight such posts in a burst of five all pass).
    for i in 0..8 {
        let header = ["unknown", "garbage!!", "1.2.3.4:99999", "01.02.03.04"][i % 4];
        let stored = post_through(header, format!("1371234{:04}", i)).await;
        assert_eq!(stored, None, "{header}");
    }
    // Seven visitors behind the proxy: none shares the proxy's bucket (the sixth would be 429).
    for (i, (header, client)) in forms.iter().enumerate() {
        let stored = post_through(header, format!("1391234{:04}", 5000 + i)).await;
        assert_eq!(stored.as_deref(), Some(*client), "{header}");
    }
    // One IPv6 client is one /64: its sixth post in a burst of five is refused.
    let mut statuses = Vec::new();
    for i in 0..6 {
        let mut body = valid_inquiry();
        body["phone"] = format!("1381234{:04}", i).into();
        let response = app
            .client
            .post(app.url("/api/v1/inquiries"))
            .header("X-Forwarded-For", format!("[2001:db8:77:1:{i:x}::1]:443"))
            .json(&body)
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [201, 201, 201, 201, 201, 429]);
}

#[tokio::test]
async fn metrics_can_have_a_listener_of_their_own() {
    let app = spawn_app_with(|s| {
        s.server.metrics_address = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let main = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(main.status(), 404, "not on the main listener");
    let port = app.metrics_port.expect("a metrics listener");
    let metrics = app
        .client
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    assert!(metrics
        .text()
        .await
        .unwrap()
        .contains("http_requests_total"));
    let other = app
        .client
        .get(format!("http://127.0.0.1:{port}/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404, "nothing else on the metrics listener");
}

#[tokio::test]
async fn staff_answers_are_not_cached_and_the_docs_page_cannot_be_framed() {
    let app = spawn_app_with(|_| {}).await;
    let key = app.admin().await;
    let id = app.submit(&valid_inquiry()).await;
    for path in [
        "/api/v1/inquiries".to_string(),
        format!("/api/v1/inquiries/{id}"),
        "/api/v1/articles".to_string(),
        "/api/v1/stats".to_string(),
        "/api/v1/keys".to_string(),
        "/api/v1/access-log".to_string(),
        "/api/v1/inquiries/export.csv".to_string(),
        "/api/v1/privacy/subject?phone=13912345678".to_string(),
        "/api/v1/inquiries/00000000-0000-0000-0000-000000000000".to_string(),
    ] {
        let response = app.get_as(&key, &path).await;
        assert_eq!(
            response
                .headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap()),
            Some("no-store"),
            "{path}: {}",
            response.status()
        );
    }
    let unauthorised = app
        .client
        .get(app.url("/api/v1/inquiries"))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorised.headers()["cache-control"], "no-store");
    let intake = app.post_json(&valid_inquiry()).await;
    assert_eq!(intake.headers()["cache-control"], "no-store");

    for path in ["/api/v1/docs/", "/api/v1/docs/swagger-initializer.js"] {
        let docs = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(docs.status(), 200, "{path}");
        let csp = docs.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(!csp.contains("unsafe-eval"), "{csp}");
        assert_eq!(docs.headers()["x-frame-options"], "DENY");
    }
}

#[tokio::test]
async fn invisible_characters_are_removed_from_every_visitor_text_field() {
    let app = spawn_app_with(|_| {}).await;
    let key = app.sales().await;
    let invisible = [
        "\u{200E}", "\u{200F}", "\u{202A}", "\u{202B}", "\u{202C}", "\u{202D}", "\u{202E}",
        "\u{2066}", "\u{2067}", "\u{2068}", "\u{2069}", "\u{200B}", "\u{FEFF}",
    ];
    let disguise = |text: &str| {
        // Every invisible character, around and inside the text.
        let mut out = invisible.concat();
        let mut chars = text.chars();
        if let Some(first) = chars.next() {
            out.push(first);
        }
        out.push_str(&invisible.concat());
        out.extend(chars);
        out.push_str(&invisible.concat());
        out
    };
    let fields = [
        ("need", "求租厂房2000平方米"),
        ("use", "仓储"),
        ("tax", "年纳税约300万"),
        ("company", "珠海某某电子有限公司"),
        ("contact", "王总"),
        ("email", "wang@example.cn"),
        ("wechat", "wang_zong88"),
        ("message", "请尽快联系 👨‍👩‍👧"),
        ("article_title", "高新区标准厂房出租"),
        ("utm_source", "baidu"),
        ("utm_campaign", "factory_2026"),
    ];
    let mut body = valid_inquiry();
    for (field, value) in fields {
        body[field] = disguise(value).into();
    }
    let id = app.submit(&body).await;
    let d = app.get_json(&key, &format!("/api/v1/inquiries/{id}")).await;
    for (field, value) in fields {
        let stored = match field {
            "article_title" => d["article"]["title"].clone(),
            f if f.starts_with("utm_") => d["attribution"][f].clone(),
            f => d[f].clone(),
        };
        assert_eq!(stored, value, "{field}");
    }
    assert!(
        d["message"].as_str().unwrap().contains('\u{200D}'),
        "the joiners inside an emoji stay"
    );
}
