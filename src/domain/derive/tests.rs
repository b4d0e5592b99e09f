//! Tables of made-up but realistic visitor text, and property tests over generated text.

use proptest::prelude::*;

use super::*;

#[test]
fn reads_tax_as_people_write_it() {
    let cases: &[(&str, Option<i64>)] = &[
        // Arabic numbers with a unit.
        ("300万", Some(3_000_000)),
        ("年纳税约300万元", Some(3_000_000)),
        ("1.2亿", Some(120_000_000)),
        ("500w", Some(5_000_000)),
        ("500W", Some(5_000_000)),
        ("税收：500W+", Some(5_000_000)),
        ("税收100w左右", Some(1_000_000)),
        ("3000000", Some(3_000_000)),
        ("3,000,000元", Some(3_000_000)),
        ("50000元", Some(50_000)),
        ("5万块", Some(50_000)),
        ("300元", Some(300)),
        ("¥300万", Some(3_000_000)),
        ("人民币300万元", Some(3_000_000)),
        ("300万人民币", Some(3_000_000)),
        ("300萬", Some(3_000_000)),
        ("1.2億", Some(120_000_000)),
        ("0.5亿", Some(50_000_000)),
        ("0.3亿", Some(30_000_000)),
        ("100k", Some(100_000)),
        ("３００万", Some(3_000_000)),
        ("３百万", Some(3_000_000)),
        ("预计年纳税 800 万", Some(8_000_000)),
        ("约2千万", Some(20_000_000)),
        ("3千万", Some(30_000_000)),
        ("1千5百万", Some(15_000_000)),
        ("一年约5百万", Some(5_000_000)),
        ("1个亿", Some(100_000_000)),
        ("一个亿", Some(100_000_000)),
        ("两个多亿", Some(200_000_000)),
        ("50万/年", Some(500_000)),
        ("500万元/年以上", Some(5_000_000)),
        ("1,000万", Some(10_000_000)),
        ("年纳税额约为人民币300万元", Some(3_000_000)),
        // Approximation words keep the base and the unit.
        ("年纳税300多万", Some(3_000_000)),
        ("300余万", Some(3_000_000)),
        ("300来万", Some(3_000_000)),
        ("约300万", Some(3_000_000)),
        ("300万左右", Some(3_000_000)),
        ("300万以上", Some(3_000_000)),
        ("年税收1000万以上", Some(10_000_000)),
        ("近300万", Some(3_000_000)),
        ("大概300万", Some(3_000_000)),
        ("300万+", Some(3_000_000)),
        ("300+万", Some(3_000_000)),
        ("不少于300万", Some(3_000_000)),
        ("不低于500万元", Some(5_000_000)),
        ("至少300万", Some(3_000_000)),
        ("超过300万", Some(3_000_000)),
        ("大于300万", Some(3_000_000)),
        ("十几万", Some(100_000)),
        // Chinese numerals.
        ("三百万", Some(3_000_000)),
        ("年纳税三百多万", Some(3_000_000)),
        ("一千万以上", Some(10_000_000)),
        ("年纳税十五万", Some(150_000)),
        ("二十万左右", Some(200_000)),
        ("两百万", Some(2_000_000)),
        ("贰佰万", Some(2_000_000)),
        ("壹仟万元", Some(10_000_000)),
        ("一点五亿", Some(150_000_000)),
        ("三万五", Some(35_000)),
        ("年纳税三万五千元", Some(35_000)),
        ("两千万", Some(20_000_000)),
        ("三千五百万", Some(35_000_000)),
        ("一亿五千万", Some(150_000_000)),
        ("一亿五", Some(150_000_000)),
        ("百万以上", Some(1_000_000)),
        ("千万级纳税企业", Some(10_000_000)),
        ("预计年纳税额两千多万元", Some(20_000_000)),
        // Ranges give the lower bound.
        ("300-500万", Some(3_000_000)),
        ("300~500万", Some(3_000_000)),
        ("300万-500万", Some(3_000_000)),
        ("300万-500", Some(3_000_000)),
        ("300 至 500 万", Some(3_000_000)),
        ("1000-1500万", Some(10_000_000)),
        ("100-200w", Some(1_000_000)),
        ("3-5千万", Some(30_000_000)),
        ("三到五百万", Some(3_000_000)),
        ("一千五到两千万", Some(15_000_000)),
        ("五六百万", Some(5_000_000)),
        ("每年纳税大约三四百万", Some(3_000_000)),
        ("纳税额度在三百万到五百万之间", Some(3_000_000)),
        ("约300-500万", Some(3_000_000)),
        // Digits written short share the upper bound's order of magnitude.
        ("3-500万", Some(3_000_000)),
        ("3~500万", Some(3_000_000)),
        ("3到500万", Some(3_000_000)),
        ("2-300万元", Some(2_000_000)),
        ("2-3000万", Some(20_000_000)),
        ("5-10万", Some(50_000)),
        ("5-100万", Some(50_000)),
        ("三五百万", Some(3_000_000)),
        ("300W-500W", Some(3_000_000)),
        ("一两百万", Some(1_000_000)),
        ("三、五百万", Some(3_000_000)),
        ("3、5百万", Some(3_000_000)),
        // Monthly amounts, years and other numbers around the tax.
        ("月纳税10万", Some(1_200_000)),
        ("每月20万左右", Some(2_400_000)),
        ("月均纳税20万左右", Some(2_400_000)),
        ("每个月交税十多万", Some(1_200_000)),
        ("3月份开始纳税300万", Some(3_000_000)),
        ("2024年纳税300万", Some(3_000_000)),
        ("2023年纳税额280万元", Some(2_800_000)),
        ("近3年年均纳税200万", Some(2_000_000)),
        ("近两年纳税都在300万以上", Some(3_000_000)),
        ("纳税300万/年，员工200人", Some(3_000_000)),
        ("税收300万，产值1亿", Some(3_000_000)),
        ("年产值1亿，纳税500万", Some(5_000_000)),
        ("营业额8000万，税收600万", Some(6_000_000)),
        ("年营收5000万纳税300万", Some(3_000_000)),
        ("产值和税收：1亿，300万", Some(3_000_000)),
        ("公司2019年成立，年纳税约800万", Some(8_000_000)),
        ("二〇二四年纳税三百万", Some(3_000_000)),
        ("预计纳税：30万元/月", Some(3_600_000)),
        // A monthly word elsewhere in the text does not make a yearly amount monthly.
        ("年纳税300万，月均25万", Some(3_000_000)),
        // Part of a year, a day's or a week's: no yearly figure.
        ("今年1-10月纳税250万", None),
        ("1-6月纳税150万", None),
        ("2024年1-9月税收500万", None),
        ("前三季度纳税300万", None),
        ("3个月纳税60万", None),
        ("第一季度30万", None),
        ("每天1万", None),
        ("日均1万", None),
        ("每周10万", None),
        // One month's without 每.
        ("月300万", Some(36_000_000)),
        ("一个月30万", Some(3_600_000)),
        ("月30万左右", Some(3_600_000)),
        ("按月30万", Some(3_600_000)),
        ("月30万，年360万", Some(3_600_000)),
        ("30万每季度", Some(1_200_000)),
        ("每季度纳税50万", Some(2_000_000)),
        ("50万/季度", Some(2_000_000)),
        ("半年纳税150万", Some(3_000_000)),
        ("三年累计纳税900万", None),
        ("3年内纳税1000万", None),
        ("近三年纳税总额900万", None),
        ("近三年纳税900万", None),
        ("过去三年纳税900万", None),
        ("2021-2023年纳税900万", None),
        ("成立以来纳税2000万", None),
        ("2023年累计纳税500万元", Some(5_000_000)),
        ("全年累计纳税300万", Some(3_000_000)),
        ("3年内每年纳税500万", Some(5_000_000)),
        ("公司累计纳税2000万，年均400万", Some(4_000_000)),
        ("今年每月纳税20万", Some(2_400_000)),
        ("2023年月均纳税25万", Some(3_000_000)),
        ("每个月的纳税额大概是20万", Some(2_400_000)),
        ("10-200万", Some(100_000)),
        ("300万不到", None),
        ("两年共纳税500万", None),
        ("一年内纳税300万", Some(3_000_000)),
        ("年纳税300万，按月缴纳", Some(3_000_000)),
        ("纳税300万，每月按时申报", Some(3_000_000)),
        ("年纳税三百万（每月约25万）", Some(3_000_000)),
        ("年纳税：300万；", Some(3_000_000)),
        ("纳税300w/年", Some(3_000_000)),
        ("税收贡献：三百五十万", Some(3_500_000)),
        ("纳税:1.5千万", Some(15_000_000)),
        ("年税收近千万", Some(10_000_000)),
        ("纳税上千万", Some(10_000_000)),
        ("年纳税上亿", Some(100_000_000)),
        ("百来万", Some(1_000_000)),
        ("300k", Some(300_000)),
        // Nothing to trust: null.
        ("待定", None),
        ("面议", None),
        ("", None),
        ("很多", None),
        ("较高", None),
        ("无", None),
        ("一般", None),
        ("税收：暂无", None),
        ("新公司，暂时没有纳税", None),
        ("不方便透露", None),
        ("万科物业", None),
        ("300多", None),
        ("年纳税300", None),
        ("纳税五百", None),
        ("5千", None),
        ("0", None),
        ("几百万", None),
        ("税收几千万", None),
        ("纳税额300万以内", None),
        ("税收每平米1000元", None),
        ("亩均税收50万", None),
        ("3OO万", None),
        ("10万以下", None),
        ("不到50万", None),
        ("不超过100万", None),
        ("300万美元", None),
        ("500万港币", None),
        ("100万日元", None),
        ("联系电话13912345678", None),
        ("0755-86001234", None),
        ("2025年", None),
        ("2栋", None),
        ("员工200人", None),
        ("税率13%", None),
        ("产值1亿", None),
        ("税收：暂无，产值5000万", None),
        ("9999999999999999999999999999999999999999", None),
    ];
    for (input, expected) in cases {
        assert_eq!(tax_cny_per_year(input), *expected, "tax {input:?}");
    }
    let nulls = cases.iter().filter(|(_, e)| e.is_none()).count();
    assert!(
        cases.len() >= 60 && nulls >= 10,
        "{} cases, {nulls} null",
        cases.len()
    );
}

#[test]
fn reads_area_as_people_write_it() {
    let cases: &[(&str, Option<f64>)] = &[
        ("求租高新区标准厂房2000平方米", Some(2000.0)),
        ("2000㎡", Some(2000.0)),
        ("2000平", Some(2000.0)),
        ("2000平米仓库", Some(2000.0)),
        ("1.5万平方米", Some(15000.0)),
        ("1.5万平", Some(15000.0)),
        ("面积约1.2万㎡", Some(12000.0)),
        ("园区内1.5万平米独栋", Some(15000.0)),
        ("3亩", Some(2000.0)),
        ("三亩地", Some(2000.0)),
        ("工业用地30亩", Some(20000.0)),
        ("需要五十亩工业用地", Some(33333.33)),
        ("求购土地50亩，用于建厂", Some(33333.33)),
        ("百亩以上工业用地", Some(66666.67)),
        ("十亩左右", Some(6666.67)),
        ("千平以上的厂房", Some(1000.0)),
        ("10-20亩", Some(6666.67)),
        ("5000 sqm", Some(5000.0)),
        ("5,000 sqm warehouse", Some(5000.0)),
        ("2000 m2", Some(2000.0)),
        ("2000m²", Some(2000.0)),
        ("约3000m2", Some(3000.0)),
        ("3000 M2", Some(3000.0)),
        ("3000㎡+", Some(3000.0)),
        ("30000 square meters", Some(30000.0)),
        ("10000 sq ft office", Some(929.03)),
        ("2公顷", Some(20000.0)),
        ("0.5公顷", Some(5000.0)),
        ("5 ha of land", Some(50000.0)),
        ("1平方公里", Some(1_000_000.0)),
        ("２０００平方米", Some(2000.0)),
        // Chinese numerals.
        ("求租宝安区一楼厂房两千平左右，层高6米以上", Some(2000.0)),
        ("两千平米", Some(2000.0)),
        ("一万五千平方米", Some(15000.0)),
        ("一千五平", Some(1500.0)),
        ("一千五百平米", Some(1500.0)),
        ("二〇〇〇平", Some(2000.0)),
        ("万平厂房", Some(10000.0)),
        ("需要2栋厂房，共一万平方", Some(10000.0)),
        // Approximation words and colloquial units.
        ("两千多平米", Some(2000.0)),
        ("一千多平方", Some(1000.0)),
        ("600多平的写字楼", Some(600.0)),
        ("三百来平", Some(300.0)),
        ("约800平左右的办公室", Some(800.0)),
        ("8000平方米左右", Some(8000.0)),
        ("1万㎡以上", Some(10000.0)),
        ("1万平以上", Some(10000.0)),
        ("5000方", Some(5000.0)),
        ("找个三千方左右的仓库", Some(3000.0)),
        ("厂房5000方以上，带办公室", Some(5000.0)),
        ("3000个平方", Some(3000.0)),
        ("两千多个平方", Some(2000.0)),
        ("带行车，单层8000平米", Some(8000.0)),
        ("红本厂房5000平，可分租", Some(5000.0)),
        ("需要2栋厂房共5000平方", Some(5000.0)),
        ("层高8米，面积3000平米", Some(3000.0)),
        ("占地30亩，建筑面积2万平", Some(20000.0)),
        ("三通一平的土地50亩", Some(33333.33)),
        ("7000平，七通一平", Some(7000.0)),
        ("宿舍50间，厂房4000平", Some(4000.0)),
        ("5000平+1000平办公", Some(5000.0)),
        ("层高10米的5000平厂房", Some(5000.0)),
        ("1楼3000平", Some(3000.0)),
        ("2栋、3000平", Some(3000.0)),
        ("10,000平方米", Some(10000.0)),
        ("2千平", Some(2000.0)),
        ("2k平", Some(2000.0)),
        ("两千五平", Some(2500.0)),
        ("5万平以上的园区", Some(50000.0)),
        ("1500m²左右", Some(1500.0)),
        ("约 2000 ㎡", Some(2000.0)),
        ("2000左右平米", Some(2000.0)),
        ("3000平方米（可分割）", Some(3000.0)),
        ("3万方", Some(30000.0)),
        ("1.5亩", Some(1000.0)),
        ("二十亩", Some(13333.33)),
        ("四十多亩", Some(26666.67)),
        ("十几亩", Some(6666.67)),
        // Ranges and bounds.
        ("2000-3000平", Some(2000.0)),
        ("5-600平", Some(500.0)),
        ("一亩半地", Some(1000.0)),
        // Prices per square metre and cubic metres are no areas.
        ("单价2万一平", None),
        ("均价1.2万一平米", None),
        ("求购：5千一平的厂房", None),
        ("6千一平米，要500平", Some(500.0)),
        ("食品厂，每天用水100方，需要3000平米", Some(3000.0)),
        ("求租厂房，日用水50方，面积2000平", Some(2000.0)),
        ("用水10方/天，仓库2000平", Some(2000.0)),
        ("需要天然气，年用气10万方", None),
        ("需要冷库3000方", None),
        ("土方量约2万方", None),
        ("20亩半山坡地", Some(13_333.33)),
        ("200-3000平", Some(200.0)),
        ("100-2000平", Some(100.0)),
        ("30-500平", Some(30.0)),
        ("两亩半", Some(1666.67)),
        ("1-2000平", Some(1000.0)),
        ("3-5000平方米", Some(3000.0)),
        ("8-1万平", Some(8000.0)),
        ("三五千平", Some(3000.0)),
        ("三五百平的小厂房", Some(300.0)),
        ("2000～3000平方米", Some(2000.0)),
        ("2000到3000平的厂房", Some(2000.0)),
        ("5000-8000平方米", Some(5000.0)),
        ("两到三千平", Some(2000.0)),
        ("三四千平", Some(3000.0)),
        ("五六百平的仓库", Some(500.0)),
        ("五千到一万平", Some(5000.0)),
        ("1-2万平", Some(10000.0)),
        ("1万至2万平方米", Some(10000.0)),
        ("一千平到两千平", Some(1000.0)),
        ("8千-1万平", Some(8000.0)),
        ("20-30亩", Some(13333.33)),
        ("3000-5000方", Some(3000.0)),
        ("两三百平", Some(200.0)),
        ("七八千平方", Some(7000.0)),
        ("2、3千平", Some(2000.0)),
        ("2000平以内", Some(2000.0)),
        ("不超过3000平", Some(3000.0)),
        // No area.
        ("求租厂房", None),
        ("需要一个仓库", None),
        ("面议", None),
        ("待定", None),
        ("面积越大越好", None),
        ("电话13912345678", None),
        ("2栋厂房", None),
        ("", None),
        ("5 hall", None),
        ("层高8米", None),
        ("层高8米以上，承重3吨", None),
        ("距离地铁500米", None),
        ("方便看厂", None),
        ("地方大一点", None),
        ("一方面要求交通方便", None),
        ("签三方协议", None),
        ("七通一平", None),
        ("千方百计找厂房", None),
        ("万方", None),
        ("需要一个平台", None),
        ("求租1.2万", None),
        ("预算每月5万", None),
        ("员工300人", None),
        ("2025年3月前入驻", None),
        ("几千平", None),
        ("需要一楼厂房，面积两千左右", None),
        ("半亩", None),
        ("1000坪", None),
    ];
    for (input, expected) in cases {
        assert_eq!(area_sqm(input), *expected, "area {input:?}");
    }
    let nulls = cases.iter().filter(|(_, e)| e.is_none()).count();
    assert!(
        cases.len() >= 60 && nulls >= 10,
        "{} cases, {nulls} null",
        cases.len()
    );
}

#[test]
fn long_adversarial_text_is_read_quickly() {
    for unit in ["一二", "二〇", "1-", "多", "3万", "一点", "万", "1.", "平"] {
        let text = unit.repeat(2_000);
        let started = std::time::Instant::now();
        let _ = (tax_cny_per_year(&text), area_sqm(&text));
        assert!(started.elapsed().as_millis() < 500, "{unit:?} × 2000");
    }
}

/// `n` (below 10^8) in Chinese numerals: standard lower case ("一万零五百", "十五"), with 两 for
/// a leading 2 ("两千"), or financial ("壹万零伍佰").
fn chinese(n: u64, style: u8) -> String {
    const LOWER: [char; 10] = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
    const UPPER: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];
    let (digits, places) = if style == 2 {
        (UPPER, ['仟', '佰', '拾', ' '])
    } else {
        (LOWER, ['千', '百', '十', ' '])
    };
    let group = |g: u64, out: &mut String, leading: bool| {
        let mut zero = false;
        let mut started = false;
        for (k, place) in places.iter().enumerate() {
            let d = (g / 10u64.pow(3 - k as u32) % 10) as usize;
            if d == 0 {
                zero = started;
                continue;
            }
            if zero || (!leading && !started && k > 0) {
                out.push('零');
            }
            zero = false;
            // "十五", not "一十五", when 十 leads the whole number.
            if !(leading && !started && k == 2 && d == 1) {
                out.push(digits[d]);
            }
            if *place != ' ' {
                out.push(*place);
            }
            started = true;
        }
    };
    let mut out = String::new();
    let (high, low) = (n / 10_000, n % 10_000);
    if high > 0 {
        group(high, &mut out, true);
        out.push('万');
    }
    if low > 0 {
        group(low, &mut out, high == 0);
    }
    if style == 1
        && out.starts_with('二')
        && out.chars().nth(1).is_some_and(|c| "百千万".contains(c))
    {
        out.replace_range(..'二'.len_utf8(), "两");
    }
    out
}

#[test]
fn writes_chinese_numerals_for_the_properties() {
    assert_eq!(chinese(15, 0), "十五");
    assert_eq!(chinese(150_000, 0), "十五万");
    assert_eq!(chinese(10_500, 0), "一万零五百");
    assert_eq!(chinese(1_005, 0), "一千零五");
    assert_eq!(chinese(2_000, 1), "两千");
    assert_eq!(chinese(3_050, 2), "叁仟零伍拾");
    assert_eq!(chinese(110_015, 0), "十一万零一十五");
}

/// Text biased towards what the parsers look at, Chinese numerals and units included.
fn visitor_text() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "0",
        "1",
        "5",
        "13",
        "300",
        "2025",
        ".",
        ",",
        "-",
        "~",
        "+",
        " ",
        "至",
        "到",
        "一",
        "两",
        "三",
        "五",
        "六",
        "十",
        "百",
        "千",
        "万",
        "亿",
        "零",
        "〇",
        "点",
        "贰",
        "佰",
        "仟",
        "拾",
        "多",
        "余",
        "来",
        "几",
        "约",
        "左右",
        "以上",
        "以下",
        "不到",
        "个",
        "w",
        "k",
        "元",
        "平",
        "平米",
        "平方米",
        "方",
        "方便",
        "㎡",
        "m2",
        "亩",
        "公顷",
        "sqm",
        "ha",
        "年",
        "月",
        "每月",
        "税",
        "纳税",
        "产值",
        "栋",
        "米",
        "美元",
        "%",
        "\u{0}",
        "\u{202e}",
        "😀",
        "１",
        "99999999999999999999",
    ]);
    prop_oneof![
        prop::collection::vec(atoms, 0..24).prop_map(|v| v.concat()),
        any::<String>(),
    ]
}

/// Text without any money unit (万, 亿, w, 元, 块, …): numbers, numerals and words.
fn text_without_money_unit() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "0", "3", "300", "5000", "9999", "1.5", "一", "两", "三", "十", "百", "千", "五六", "零",
        "多", "余", "来", "约", "左右", "以上", "+", "-", "到", " ", "，", "年", "纳税", "税收",
        "栋", "人", "平", "层高", "米",
    ]);
    prop::collection::vec(atoms, 0..12).prop_map(|v| v.concat())
}

/// Text without any area unit (平, 方, 亩, 公顷, ㎡, m2, sqm, ha …).
fn text_without_area_unit() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "0", "3", "300", "2000", "1.5", "一", "两", "三", "十", "百", "千", "万", "亿", "五六",
        "多", "余", "来", "约", "左右", "以上", "+", "-", "到", " ", "，", "年", "栋", "层高",
        "米", "个", "厂房", "仓库", "求租", "w", "k",
    ]);
    prop::collection::vec(atoms, 0..12).prop_map(|v| v.concat())
}

/// Cases per property: 2,000 by default, `PROPTEST_CASES` for a longer run.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_and_stays_in_range(input in visitor_text()) {
        if let Some(tax) = tax_cny_per_year(&input) {
            prop_assert!(tax >= 0);
        }
        if let Some(area) = area_sqm(&input) {
            prop_assert!(area.is_finite() && area > 0.0 && area < MAX_AREA);
        }
    }

    /// "{n}多万", "约{n}万", "{n}万左右", "{中文 n}万" …: exactly n × 10000, never below.
    #[test]
    fn tax_keeps_the_written_magnitude(
        n in 1u64..10_000,
        form in 0usize..18,
        style in 0u8..3,
        prefix in prop::sample::select(vec!["", "年纳税", "税收：", "预计年纳税", "每年纳税"]),
        suffix in prop::sample::select(vec!["", "元", "，具体面谈", "/年", "以上"]),
    ) {
        let cn = chinese(n, style);
        let body = match form {
            0 => format!("{n}多万"),
            1 => format!("{n}余万"),
            2 => format!("{n}来万"),
            3 => format!("约{n}万"),
            4 => format!("{n}万左右"),
            5 => format!("{n}万以上"),
            6 => format!("近{n}万"),
            7 => format!("大概{n}万"),
            8 => format!("{n}万+"),
            9 => format!("{n}+万"),
            10 => format!("不少于{n}万"),
            11 => format!("{n}w"),
            12 => format!("{cn}万"),
            13 => format!("{cn}多万"),
            14 => format!("约{cn}万"),
            15 => format!("{cn}万左右"),
            16 => format!("{cn}余万"),
            _ => format!("{n} 万"),
        };
        let input = format!("{prefix}{body}{suffix}");
        prop_assert_eq!(tax_cny_per_year(&input), Some(n as i64 * 10_000), "{}", input);
    }

    /// "三万五" is 35000, "1.5万" 15000, "300-500万" 3000000.
    #[test]
    fn tax_reads_colloquial_decimal_and_range_forms(a in 1u64..10, b in 1u64..10, n in 1u64..10_000, d in 0u64..10, m in 0u64..10_000) {
        let lower = chinese(a, 0);
        let digit = chinese(b, 0);
        prop_assert_eq!(tax_cny_per_year(&format!("{lower}万{digit}")), Some((a * 10_000 + b * 1_000) as i64));
        prop_assert_eq!(tax_cny_per_year(&format!("{n}.{d}万")), Some((n * 10_000 + d * 1_000) as i64));
        let upper = n + m;
        // Digits written short before a round upper bound share its magnitude ("3-500万").
        let (dn, du) = (n.to_string().len(), upper.to_string().len());
        // One digit only: "10-200万" is 10万 to 200万.
        let round = dn == 1 && du > dn && upper % 10u64.pow((du - dn) as u32) == 0;
        let expanded = n * 10u64.pow((du - dn.min(du)) as u32);
        let lower = if round && expanded < upper { expanded } else { n };
        for sep in ["-", "~", "到", " 至 "] {
            let input = format!("{n}{sep}{upper}万");
            prop_assert_eq!(tax_cny_per_year(&input), Some(lower as i64 * 10_000), "{}", input);
        }
    }

    /// "{n}平米", "{中文 n}多平", "{n}亩" …: exactly n of the unit.
    #[test]
    fn area_keeps_the_written_magnitude(
        n in 10u64..1_000_000,
        form in 0usize..12,
        style in 0u8..3,
        prefix in prop::sample::select(vec!["", "求租", "需要", "厂房", "面积", "找一个"]),
        suffix in prop::sample::select(vec!["", "左右", "的厂房", "以上，层高8米", "+"]),
    ) {
        let cn = chinese(n % 100_000_000, style);
        let (body, per_unit) = match form {
            0 => (format!("{n}平米"), 1.0),
            1 => (format!("{n}多平米"), 1.0),
            2 => (format!("约{n}平方米"), 1.0),
            3 => (format!("{n}㎡"), 1.0),
            4 => (format!("{n}方"), 1.0),
            5 => (format!("{cn}平米"), 1.0),
            6 => (format!("{cn}多平"), 1.0),
            7 => (format!("{cn}方"), 1.0),
            8 => (format!("{n}亩"), SQM_PER_MU),
            9 => (format!("{cn}亩"), SQM_PER_MU),
            10 => (format!("{n}来平"), 1.0),
            _ => (format!("{cn}平方米"), 1.0),
        };
        let input = format!("{prefix}{body}{suffix}");
        let expected = (n as f64 * per_unit * 100.0).round() / 100.0;
        prop_assert_eq!(area_sqm(&input), Some(expected), "{}", input);
    }

    /// Without 万, 亿, w or 元 a tax is never a small number that lost its unit.
    #[test]
    fn tax_without_a_money_unit_is_null_or_large(input in text_without_money_unit()) {
        if let Some(tax) = tax_cny_per_year(&input) {
            prop_assert!(tax >= 10_000, "{} → {}", input, tax);
        }
    }

    /// Without an area unit there is no area.
    #[test]
    fn area_without_a_unit_is_null(input in text_without_area_unit()) {
        prop_assert_eq!(area_sqm(&input), None, "{}", input);
    }
}
