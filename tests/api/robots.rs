//! The group robots' messages (SPEC §6), rendered from a stored inquiry and read back as each
//! platform would: the facts in Chinese, the phone masked, the inbox link whole, visitor text
//! inert, mentions where the platform takes them, within the platform's size.

use inquiry_desk::notify::robot::{RobotRenderer, WECOM_MARKDOWN_BYTES};
use inquiry_desk::settings::Channel;
use inquiry_desk::storage::inquiries::InquiryRow;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, valid_inquiry, with};

fn channel(value: Value) -> Channel {
    let mut channel: Channel = serde_json::from_value(value).unwrap();
    channel.check().unwrap();
    channel
}

fn wecom(extra: Value) -> Channel {
    let mut base = json!({"name": "w", "kind": "wecom",
        "webhook_url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"});
    base.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    channel(base)
}

async fn stored(
    body: &Value,
) -> (
    crate::helpers::TestApp,
    inquiry_desk::storage::inquiries::InquiryRow,
) {
    let app = spawn_app().await;
    let id: uuid::Uuid = app.submit(body).await.parse().unwrap();
    let row = inquiry_desk::storage::inquiries::get(&app.pool, id)
        .await
        .unwrap()
        .unwrap();
    (app, row)
}

/// The WeCom markdown announcing `row` (no mentions).
fn wecom_markdown(row: &InquiryRow) -> String {
    let renderer = RobotRenderer::new("https://leads.example.cn").unwrap();
    renderer.render(&wecom(json!({})), row, None).unwrap()[0]["markdown"]["content"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn each_platform_gets_the_facts_in_its_dialect_with_mentions() {
    let (app, row) = stored(&valid_inquiry()).await;
    let renderer = RobotRenderer::new("https://leads.example.cn/").unwrap();
    let link = format!("https://leads.example.cn/inbox#/inquiries/{}", row.id);

    let bodies = renderer
        .render(
            &wecom(json!({"mention_mobiles": ["139-0000-1111"], "keyword": "招商"})),
            &row,
            None,
        )
        .unwrap();
    let markdown = bodies[0]["markdown"]["content"].as_str().unwrap();
    assert_eq!(bodies[0]["msgtype"], "markdown");
    for fact in [
        "**新询盘** · 高新区标准厂房出租 招商",
        "需求：求租高新区标准厂房2000平方米，层高8米以上",
        "用途：电子元器件组装、仓储",
        "税收：年纳税约300万（约 3,000,000 元/年）",
        "面积：约 2,000 平方米",
        "公司：珠海某某电子有限公司",
        "联系人：王总",
        "手机号：139＊＊＊＊5678",
        "（北京时间）",
    ] {
        assert!(markdown.contains(fact), "{fact} in {markdown}");
    }
    assert!(
        markdown.contains(&format!("[在收件箱中处理]({link})")),
        "{markdown}"
    );
    assert!(
        !markdown.contains("13912345678"),
        "the phone is masked by default"
    );
    // The mention: a second, text message, as WeCom honours mobile mentions only there.
    assert_eq!(bodies[1]["msgtype"], "text");
    assert_eq!(
        bodies[1]["text"]["mentioned_mobile_list"],
        json!(["13900001111"])
    );
    assert!(bodies[1]["text"]["content"]
        .as_str()
        .unwrap()
        .contains("新询盘"));

    let dingtalk = channel(json!({"name": "d", "kind": "dingtalk",
        "webhook_url": "https://oapi.dingtalk.com/robot/send?access_token=t",
        "mention_mobiles": ["13900001111"], "show_phone": true}));
    let body = &renderer.render(&dingtalk, &row, None).unwrap()[0];
    let text = body["markdown"]["text"].as_str().unwrap();
    assert_eq!(body["markdown"]["title"], "新询盘");
    assert_eq!(body["at"]["atMobiles"], json!(["13900001111"]));
    assert!(
        text.contains("@13900001111"),
        "DingTalk needs the number in the text: {text}"
    );
    assert!(
        text.contains("手机号：+8613912345678"),
        "show_phone sends it whole: {text}"
    );

    let feishu = channel(json!({"name": "f", "kind": "feishu",
        "webhook_url": "https://open.feishu.cn/open-apis/bot/v2/hook/abc",
        "mention_open_ids": ["ou_7d8a6e6df7621556ce0d21922b676706ccs"]}));
    let body = &renderer
        .render(&feishu, &row, Some(&Default::default()))
        .unwrap()[0];
    let post = &body["content"]["post"]["zh_cn"];
    assert_eq!(body["msg_type"], "post");
    assert_eq!(post["title"], "新询盘 · 补充信息 · 高新区标准厂房出租");
    let lines = post["content"].as_array().unwrap();
    assert!(
        lines.iter().any(|l| l[0]["text"] == "联系人：王总"),
        "{lines:?}"
    );
    assert!(lines
        .iter()
        .any(|l| l[0]["tag"] == "a" && l[0]["href"] == link.as_str()));
    assert_eq!(
        lines.last().unwrap()[0],
        json!({"tag": "at", "user_id": "ou_7d8a6e6df7621556ce0d21922b676706ccs"})
    );
    drop(app);
}

#[tokio::test]
async fn visitor_markup_links_and_mentions_arrive_inert() {
    let body = with(
        valid_inquiry(),
        &[
            (
                "need",
                json!("<script>alert(1)</script> [点我](http://evil.example) @all **急**"),
            ),
            ("company", json!("<font color=\"warning\">红字公司</font>")),
            ("contact", json!("<at user_id=\"all\">所有人</at>")),
        ],
    );
    let (_app, row) = stored(&body).await;
    let markdown = wecom_markdown(&row);
    let visitor = markdown
        .lines()
        .filter(|l| l.starts_with("> "))
        .collect::<Vec<_>>()
        .join("\n");
    for forbidden in ["<script", "](", "://", "@all", "**", "<font", "<at"] {
        assert!(!visitor.contains(forbidden), "{forbidden} in {visitor}");
    }
    assert!(
        visitor.contains("＜script＞alert（1）＜/script＞"),
        "{visitor}"
    );
    // The other dialects carry the same text, inert too.
    let dingtalk = channel(json!({"name": "d", "kind": "dingtalk",
        "webhook_url": "https://oapi.dingtalk.com/robot/send?access_token=t"}));
    let feishu = channel(json!({"name": "f", "kind": "feishu",
        "webhook_url": "https://open.feishu.cn/open-apis/bot/v2/hook/abc"}));
    let renderer = RobotRenderer::new("https://leads.example.cn").unwrap();
    for channel in [dingtalk, feishu] {
        let body = renderer.render(&channel, &row, None).unwrap()[0].to_string();
        // The one markdown link is ours (the inbox), on DingTalk; Feishu's is an `a` element.
        let links = body.matches("](").count();
        assert_eq!(links, usize::from(channel.name == "d"), "{body}");
        for forbidden in ["<script", "://evil", "@all", "<font", "<at user"] {
            assert!(
                !body.contains(forbidden),
                "{}: {forbidden} in {body}",
                channel.name
            );
        }
    }
}

#[tokio::test]
async fn a_long_need_is_cut_and_the_link_never() {
    let long = "求租厂房".repeat(120); // 480 characters, 1,440 bytes
    let body = with(
        valid_inquiry(),
        &[
            ("need", json!(long)),
            ("use", json!("仓".repeat(200))),
            ("company", json!("某".repeat(100))),
        ],
    );
    let (_app, row) = stored(&body).await;
    let markdown = wecom_markdown(&row);
    assert!(markdown.len() <= WECOM_MARKDOWN_BYTES);
    // The need's first 80 characters, marked as cut.
    assert!(markdown.contains(&format!(
        "需求：{}…",
        &long.chars().take(80).collect::<String>()
    )));
    assert!(
        markdown.contains(&format!("/inbox#/inquiries/{})", row.id)),
        "{markdown}"
    );
}
