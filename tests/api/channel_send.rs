//! One request to each kind of channel against a real HTTP peer that implements the platform's
//! published contract (`tests/support/robot_peer.py`): the signed message is accepted and
//! decoded; a bad key or signature is dead at once with the platform's code; the platforms'
//! rate limits answer as throttling (DingTalk with its ban); a webhook is signed per Standard
//! Webhooks and its statuses read as SPEC §6 says.

use inquiry_desk::notify::channel_send::{classify, client, send, Outcome};
use inquiry_desk::notify::robot::RobotRenderer;
use inquiry_desk::settings::{Channel, ChannelKind};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, valid_inquiry, RobotPeer};

const DINGTALK_SECRET: &str = "SEC5f0a1d5e9b7c44f0b4e3a2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1";
const FEISHU_SECRET: &str = "feishu-sign-secret";
const WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn channel(value: Value) -> Channel {
    let mut channel: Channel = serde_json::from_value(value).unwrap();
    channel.check().unwrap();
    channel
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

async fn peer() -> RobotPeer {
    RobotPeer::start(&[
        "--dingtalk-secret",
        DINGTALK_SECRET,
        "--feishu-secret",
        FEISHU_SECRET,
        "--keyword",
        "新询盘",
    ])
    .await
}

#[tokio::test]
async fn each_kind_delivers_a_message_the_platform_accepts_and_decodes() {
    let app = spawn_app().await;
    let id: uuid::Uuid = app.submit(&valid_inquiry()).await.parse().unwrap();
    let row = inquiry_desk::storage::inquiries::get(&app.pool, id)
        .await
        .unwrap()
        .unwrap();
    let peer = peer().await;
    let renderer = RobotRenderer::new("https://leads.example.cn").unwrap();
    let http = client().unwrap();
    let channels = [
        channel(json!({"name": "w", "kind": "wecom",
            "webhook_url": peer.url("/cgi-bin/webhook/send?key=wecom-key"),
            "mention_mobiles": ["13900001111"]})),
        channel(json!({"name": "d", "kind": "dingtalk",
            "webhook_url": peer.url("/robot/send?access_token=dingtalk-token"),
            "secret": DINGTALK_SECRET, "mention_mobiles": ["13900001111"]})),
        channel(json!({"name": "f", "kind": "feishu",
            "webhook_url": peer.url("/open-apis/bot/v2/hook/feishu-hook"),
            "secret": FEISHU_SECRET, "mention_open_ids": ["ou_0123456789abcdef"]})),
    ];
    for channel in &channels {
        for body in renderer.render(channel, &row, None).unwrap() {
            let outcome = send(&http, channel, &body, "unused", now_ms()).await;
            assert_eq!(outcome, Outcome::Sent, "{}", channel.name);
        }
    }
    let received = peer.received().await;
    let of = |platform: &str| -> Vec<Value> {
        received
            .iter()
            .filter(|r| r["platform"] == platform)
            .map(|r| r["body"].clone())
            .collect()
    };
    let wecom = of("wecom");
    assert_eq!(wecom.len(), 2, "markdown, then the mention as text");
    assert!(wecom[0]["markdown"]["content"]
        .as_str()
        .unwrap()
        .contains("联系人：王总"));
    assert_eq!(
        wecom[1]["text"]["mentioned_mobile_list"],
        json!(["13900001111"])
    );
    let dingtalk = &of("dingtalk")[0];
    assert_eq!(dingtalk["at"]["atMobiles"], json!(["13900001111"]));
    assert!(dingtalk["markdown"]["text"]
        .as_str()
        .unwrap()
        .contains("@13900001111"));
    let feishu = &of("feishu")[0];
    assert_eq!(feishu["msg_type"], "post");
    let lines = feishu["content"]["post"]["zh_cn"]["content"]
        .as_array()
        .unwrap();
    assert_eq!(lines.last().unwrap()[0]["user_id"], "ou_0123456789abcdef");
}

#[tokio::test]
async fn a_bad_key_or_signature_is_dead_at_once_with_the_platforms_code() {
    let peer = peer().await;
    let http = client().unwrap();
    let body =
        json!({"msgtype": "markdown", "markdown": {"title": "新询盘", "text": "新询盘 测试"}});
    let cases = [
        (
            channel(json!({"name": "w", "kind": "wecom",
                "webhook_url": peer.url("/cgi-bin/webhook/send?key=wrong")})),
            json!({"msgtype": "markdown", "markdown": {"content": "新询盘"}}),
            "93000",
        ),
        (
            channel(json!({"name": "d", "kind": "dingtalk",
                "webhook_url": peer.url("/robot/send?access_token=dingtalk-token"),
                "secret": "SECnot-the-robots-secret"})),
            body.clone(),
            "310000",
        ),
        (
            channel(json!({"name": "d2", "kind": "dingtalk",
                "webhook_url": peer.url("/robot/send?access_token=wrong"),
                "secret": DINGTALK_SECRET})),
            body.clone(),
            "300001",
        ),
        (
            channel(json!({"name": "f", "kind": "feishu",
                "webhook_url": peer.url("/open-apis/bot/v2/hook/feishu-hook"),
                "secret": "not-the-secret"})),
            json!({"msg_type": "text", "content": {"text": "新询盘"}}),
            "19021",
        ),
    ];
    for (channel, body, code) in cases {
        match send(&http, &channel, &body, "unused", now_ms()).await {
            Outcome::Permanent { code: got, message } => {
                assert_eq!(got, code, "{}", channel.name);
                assert!(!message.is_empty());
            }
            other => panic!("{}: {other:?}", channel.name),
        }
    }
    // A DingTalk message without the robot's security keyword is refused the same way.
    let keyworded = channel(json!({"name": "d3", "kind": "dingtalk",
        "webhook_url": peer.url("/robot/send?access_token=dingtalk-token"),
        "secret": DINGTALK_SECRET}));
    let plain = json!({"msgtype": "text", "text": {"content": "hello"}});
    assert!(matches!(
        send(&http, &keyworded, &plain, "unused", now_ms()).await,
        Outcome::Permanent { code, .. } if code == "310000"
    ));
    assert!(peer.received().await.is_empty(), "nothing was accepted");
}

#[tokio::test]
async fn past_the_platforms_rate_the_answer_is_throttling_and_dingtalk_bans() {
    let peer = RobotPeer::start(&["--rate", "3", "--minute", "1", "--ban", "30"]).await;
    let http = client().unwrap();
    let wecom = channel(json!({"name": "w", "kind": "wecom",
        "webhook_url": peer.url("/cgi-bin/webhook/send?key=wecom-key")}));
    let body = json!({"msgtype": "markdown", "markdown": {"content": "新询盘"}});
    let mut outcomes = Vec::new();
    for _ in 0..5 {
        outcomes.push(send(&http, &wecom, &body, "unused", now_ms()).await);
    }
    assert_eq!(outcomes[..3], [Outcome::Sent, Outcome::Sent, Outcome::Sent]);
    for outcome in &outcomes[3..] {
        assert!(
            matches!(outcome, Outcome::Throttled { code, .. } if code == "45009"),
            "{outcome:?}"
        );
    }
    let dingtalk = channel(json!({"name": "d", "kind": "dingtalk",
        "webhook_url": peer.url("/robot/send?access_token=dingtalk-token")}));
    let body = json!({"msgtype": "markdown", "markdown": {"title": "新询盘", "text": "新询盘"}});
    for _ in 0..3 {
        assert_eq!(
            send(&http, &dingtalk, &body, "unused", now_ms()).await,
            Outcome::Sent
        );
    }
    for _ in 0..2 {
        let outcome = send(&http, &dingtalk, &body, "unused", now_ms()).await;
        assert!(
            matches!(&outcome, Outcome::Throttled { code, .. } if code == "130101"),
            "{outcome:?}"
        );
    }
    assert_eq!(
        peer.requests("dingtalk").await,
        5,
        "every request counts, refused or not"
    );
    // Once the window has passed WeCom takes messages again; DingTalk's ban still holds.
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let wecom_body = json!({"msgtype": "markdown", "markdown": {"content": "新询盘"}});
    assert_eq!(
        send(&http, &wecom, &wecom_body, "unused", now_ms()).await,
        Outcome::Sent
    );
    let banned = send(&http, &dingtalk, &body, "unused", now_ms()).await;
    assert!(
        matches!(&banned, Outcome::Throttled { code, .. } if code == "130101"),
        "banned for 10 minutes, not for the window: {banned:?}"
    );
}

#[tokio::test]
async fn webhooks_are_signed_keep_their_id_and_read_their_status() {
    let peer = RobotPeer::start(&["--webhook-secret", WEBHOOK_SECRET]).await;
    let http = client().unwrap();
    let hook = |path: &str, secret: &str| {
        channel(
            json!({"name": "crm", "kind": "webhook", "webhook_url": peer.url(path), "secret": secret}),
        )
    };
    let body = json!({"id": "0193a000-0000-7000-8000-000000000001", "need": "求租厂房"});
    let ok = hook("/hooks", WEBHOOK_SECRET);
    assert_eq!(
        send(&http, &ok, &body, "msg_0193a0", now_ms()).await,
        Outcome::Sent
    );
    assert_eq!(
        send(&http, &ok, &body, "msg_0193a0", now_ms()).await,
        Outcome::Sent
    );
    let received = peer.received().await;
    assert_eq!(received.len(), 2);
    for r in &received {
        assert_eq!(
            r["headers"]["webhook-id"], "msg_0193a0",
            "the same id on every attempt"
        );
        assert_eq!(r["body"], body);
    }
    let wrong = hook("/hooks", "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assert!(
        matches!(send(&http, &wrong, &body, "m", now_ms()).await, Outcome::Permanent { code, .. } if code == "401")
    );
    assert!(matches!(
        send(
            &http,
            &hook("/hooks/410", WEBHOOK_SECRET),
            &body,
            "m",
            now_ms()
        )
        .await,
        Outcome::Permanent { .. }
    ));
    assert!(matches!(
        send(
            &http,
            &hook("/hooks/503", WEBHOOK_SECRET),
            &body,
            "m",
            now_ms()
        )
        .await,
        Outcome::Transient { .. }
    ));
    assert!(matches!(
        send(
            &http,
            &hook("/hooks/429", WEBHOOK_SECRET),
            &body,
            "m",
            now_ms()
        )
        .await,
        Outcome::Throttled { .. }
    ));
    // Nobody listening: transient, and the error names no URL (its query is a credential).
    let down = channel(json!({"name": "w", "kind": "wecom",
        "webhook_url": "http://127.0.0.1:9/cgi-bin/webhook/send?key=secret-key"}));
    match send(&http, &down, &json!({}), "m", now_ms()).await {
        Outcome::Transient { error } => assert!(!error.contains("secret-key"), "{error}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        classify(ChannelKind::Webhook, 204, ""),
        Outcome::Sent
    ));
}
