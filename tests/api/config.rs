//! Configuration layering as the binary loads it: defaults, `{APP_ENV}.toml`, `DATABASE_URL`,
//! `INQUIRY_DESK__…` variables.

use std::process::Command;

fn check_config(envs: &[(&str, &str)], config_dir: &std::path::Path) -> (bool, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_inquiry-desk"));
    command
        .arg("check-config")
        .arg("--config-dir")
        .arg(config_dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("INQUIRY_DESK") || k == "DATABASE_URL" || k == "APP_ENV" {
            command.env_remove(k);
        }
    }
    command.envs(envs.iter().copied());
    let output = command.output().expect("run inquiry-desk check-config");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("inquiry-desk-config-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn defaults_alone_are_valid_and_warn_about_missing_recipients() {
    let (ok, stdout, _) = check_config(&[], &temp_dir());
    assert!(ok);
    assert!(stdout.contains("server: 127.0.0.1:8080"), "{stdout}");
    assert!(
        stdout.contains("warning: no notification recipients configured"),
        "{stdout}"
    );
}

#[test]
fn app_env_file_then_database_url_then_variables_win_in_that_order() {
    let dir = temp_dir();
    std::fs::write(
        dir.join("staging.toml"),
        "[server]\nport = 9000\nhost = \"0.0.0.0\"\n[notify]\ndefault_recipients = [\"a@example.cn\"]\n",
    )
    .unwrap();
    let (ok, stdout, stderr) = check_config(
        &[
            ("APP_ENV", "staging"),
            (
                "DATABASE_URL",
                "postgres://app:secret@db.internal:5432/leads",
            ),
            ("INQUIRY_DESK__SERVER__PORT", "9100"),
            (
                "INQUIRY_DESK__INTAKE__ALLOWED_SITE_HOSTS",
                "www.example.cn, *.example.cn",
            ),
            ("INQUIRY_DESK__INTAKE__DEDUP_WINDOW", "12h"),
            ("INQUIRY_DESK__NOTIFY__SMTP__PASSWORD", "123456"),
            (
                "INQUIRY_DESK__NOTIFY__ROUTES",
                r#"[{"host": "www.example.cn", "recipients": ["b@example.cn", "c@example.cn"]}]"#,
            ),
        ],
        &dir,
    );
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("server: 0.0.0.0:9100"),
        "file then variable: {stdout}"
    );
    assert!(stdout.contains("db.internal:5432/leads"), "{stdout}");
    assert!(
        !stdout.contains("app:secret") && !stdout.contains("123456"),
        "secrets masked: {stdout}"
    );
    assert!(stdout.contains("hosts=2"), "{stdout}");
    assert!(stdout.contains("dedup_window=43200s"), "{stdout}");
    assert!(stdout.contains("routes=1"), "{stdout}");
    assert!(stdout.contains("default_recipients=1"), "{stdout}");
    assert!(!stdout.contains("no notification recipients"), "{stdout}");
}

#[test]
fn invalid_values_are_refused_with_a_clear_message() {
    let cases = [
        ("INQUIRY_DESK__INTAKE__DEDUP_WINDOW", "soon", "dedup_window"),
        ("INQUIRY_DESK__NOTIFY__SMTP__TLS", "ssl", "tls"),
        ("INQUIRY_DESK__NOTIFY__FROM", "not an address", "from"),
        (
            "INQUIRY_DESK__SERVER__TRUSTED_PROXIES",
            "10.0.0.0/8,nope",
            "nope",
        ),
        ("INQUIRY_DESK__NOTIFY__ROUTES", "[{", "routes"),
        ("INQUIRY_DESK__SERVER__NOSUCHKEY", "1", "nosuchkey"),
        ("INQUIRY_DESK__INTAKE__TRACKING_PARAMETERS", "a=b", "a=b"),
        (
            "INQUIRY_DESK__INTAKE__ALLOWED_SITE_HOSTS",
            "bad..host",
            "bad..host",
        ),
    ];
    for (key, value, mention) in cases {
        let (ok, _, stderr) = check_config(&[(key, value)], &temp_dir());
        assert!(!ok, "{key}={value} must be refused");
        assert!(stderr.to_lowercase().contains(mention), "{key}: {stderr}");
    }
}

#[test]
fn idn_hosts_and_tracking_parameters_are_read_from_the_environment() {
    let (ok, stdout, stderr) = check_config(
        &[
            (
                "INQUIRY_DESK__INTAKE__ALLOWED_SITE_HOSTS",
                "招商.中国, *.例子.cn,www.example.cn",
            ),
            (
                "INQUIRY_DESK__INTAKE__TRACKING_PARAMETERS",
                "fromuid, Share_From",
            ),
        ],
        &temp_dir(),
    );
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains(
            "intake.allowed_site_hosts: [xn--czrx92a.xn--fiqs8s, *.xn--fsqu00a.cn, www.example.cn]"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("intake.tracking_parameters: [fromuid, share_from]"),
        "{stdout}"
    );
}

#[test]
fn a_remote_database_without_verified_tls_is_warned_about() {
    for (url, warns) in [
        ("postgres://app:secret@db.internal:5432/leads", true),
        (
            "postgres://app:secret@db.internal:5432/leads?sslmode=require",
            true,
        ),
        (
            "postgres://app:secret@db.internal:5432/leads?sslmode=verify-full",
            false,
        ),
        ("postgres://postgres@127.0.0.1:5432/leads", false),
    ] {
        let (ok, stdout, _) = check_config(&[("DATABASE_URL", url)], &temp_dir());
        assert!(ok, "{stdout}");
        assert_eq!(
            stdout.contains("warning: database.url") && stdout.contains("not verified"),
            warns,
            "{url}: {stdout}"
        );
        assert!(!stdout.contains(":secret@"), "{stdout}");
    }
}

#[test]
fn channels_come_from_toml_or_the_environment_as_json_and_are_shown_masked() {
    let dir = temp_dir();
    std::fs::write(
        dir.join("production.toml"),
        r#"[notify]
default_channels = ["sales-wecom"]
routes = [{ host = "www.example.hk", recipients = ["hk@example.cn"], channels = ["hk-feishu"] }]

[[notify.channels]]
name = "sales-wecom"
kind = "wecom"
webhook_url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wecom-key-6f1c"
mention_mobiles = ["139-1234-5678"]

[[notify.channels]]
name = "hk-feishu"
kind = "feishu"
webhook_url = "https://open.feishu.cn/open-apis/bot/v2/hook/feishu-hook-9a8b"
secret = "feishu-secret-77"
"#,
    )
    .unwrap();
    let (ok, stdout, stderr) = check_config(&[("APP_ENV", "production")], &dir);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("notify.channels[sales-wecom]: kind=wecom url=https://qyapi.weixin.qq.com/cgi-bin/webhook/send?***"), "{stdout}");
    assert!(stdout.contains("notify.channels[hk-feishu]: kind=feishu url=https://open.feishu.cn/open-apis/bot/v2/hook/feis***"), "{stdout}");
    assert!(
        stdout.contains("secret=(set)") && stdout.contains("rate_per_minute=20"),
        "{stdout}"
    );
    for secret in ["wecom-key-6f1c", "feishu-hook-9a8b", "feishu-secret-77"] {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "{secret} shown"
        );
    }

    // The environment form: JSON, as for notify.routes.
    let json = r#"[{"name": "dd", "kind": "dingtalk", "webhook_url": "http://203.0.113.9/robot/send?access_token=tok-123", "secret": "SEC-ding"}]"#;
    let (ok, stdout, stderr) = check_config(
        &[
            ("INQUIRY_DESK__NOTIFY__CHANNELS", json),
            ("INQUIRY_DESK__NOTIFY__DEFAULT_CHANNELS", "dd"),
        ],
        &temp_dir(),
    );
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("notify.channels[dd]: kind=dingtalk url=http://203.0.113.9/robot/send?***"),
        "{stdout}"
    );
    assert!(stdout.contains("notify.default_channels: [dd]"), "{stdout}");
    assert!(
        stdout.contains("warning: notify.channels[dd] posts over plain http"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("tok-123") && !stdout.contains("SEC-ding"),
        "{stdout}"
    );

    // A channel named nowhere, or a bad one, is refused without its secrets in the message.
    for (envs, says) in [
        (
            vec![("INQUIRY_DESK__NOTIFY__DEFAULT_CHANNELS", "nope")],
            "\"nope\" is not one of notify.channels",
        ),
        (
            vec![(
                "INQUIRY_DESK__NOTIFY__CHANNELS",
                r#"[{"name": "w", "kind": "wecom", "webhook_url": "https://x/send?token=tok-456"}]"#,
            )],
            "`key`",
        ),
        (
            vec![("INQUIRY_DESK__NOTIFY__CHANNELS", "[{")],
            "notify.channels is not valid JSON",
        ),
    ] {
        let (ok, stdout, stderr) = check_config(&envs, &temp_dir());
        assert!(!ok, "{envs:?}: {stdout}");
        assert!(stderr.contains(says), "{envs:?}: {stderr}");
        assert!(!stderr.contains("tok-456"), "{stderr}");
    }
}
