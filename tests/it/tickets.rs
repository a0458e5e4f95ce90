//! The service directory and escalation tickets: channel choice by time of day and
//! priority, busy periods, what the ticket carries, text rendering and JSON.

use troubletree::{
    Channel, Directory, FactSource, LocalTime, Origin, Priority, Session, Tree, Value,
};

fn directory() -> Directory {
    Directory::from_path("trees/directory.ron").expect("the shipped directory is valid")
}

fn at(text: &str) -> LocalTime {
    LocalTime::parse(text).expect("a valid time")
}

#[test]
fn channel_follows_hotline_hours() {
    let d = directory();
    for (time, expected, open) in [
        ("2026-03-03 08:59", Channel::InApp, true),
        ("2026-03-03 09:00", Channel::Hotline, true),
        ("2026-03-03 20:59", Channel::Hotline, true),
        ("2026-03-03 21:00", Channel::InApp, true),
        ("2026-03-03 23:30", Channel::InApp, true),
    ] {
        let choice = d
            .choose(Priority::Normal, None, at(time), "en")
            .expect("a channel");
        assert_eq!(
            (choice.kind, choice.open_now),
            (expected, open),
            "at {time}"
        );
    }
    let evening = d
        .choose(Priority::Normal, None, at("2026-03-03 22:00"), "zh")
        .expect("a channel");
    assert_eq!(evening.response_hours, 24);
    assert!(
        evening.contact.contains("帮助与反馈"),
        "{}",
        evening.contact
    );
    assert!(evening.example);
}

#[test]
fn urgent_takes_the_fastest_channel_open_now() {
    let d = directory();
    let day = d
        .choose(
            Priority::Urgent,
            Some(Channel::Email),
            at("2026-03-03 10:00"),
            "en",
        )
        .expect("a channel");
    assert_eq!(day.kind, Channel::Hotline);
    assert_eq!(day.response_hours, 0);
    // At night the hotline and chat are closed: in-app (24 h) beats e-mail (48 h).
    let night = d
        .choose(Priority::Urgent, None, at("2026-03-03 02:00"), "en")
        .expect("a channel");
    assert_eq!(night.kind, Channel::InApp);
}

#[test]
fn a_tree_hint_is_kept_when_that_channel_is_open() {
    let d = directory();
    let hinted = d
        .choose(
            Priority::Normal,
            Some(Channel::Email),
            at("2026-03-03 10:00"),
            "en",
        )
        .expect("a channel");
    assert_eq!((hinted.kind, hinted.response_hours), (Channel::Email, 48));
    // A closed hinted channel falls back to the usual rule.
    let closed = d
        .choose(
            Priority::Normal,
            Some(Channel::Chat),
            at("2026-03-03 22:00"),
            "en",
        )
        .expect("a channel");
    assert_eq!(closed.kind, Channel::InApp);
}

#[test]
fn busy_periods_slow_written_replies() {
    let d = directory();
    let double_11 = d
        .choose(Priority::Normal, None, at("2026-11-11 22:00"), "en")
        .expect("a channel");
    assert_eq!(double_11.response_hours, 48);
    assert_eq!(
        double_11.busy.as_deref(),
        Some("Double 11 shopping festival")
    );
    // The hotline answers at once, busy or not.
    let hotline = d
        .choose(Priority::Normal, None, at("2026-11-11 10:00"), "en")
        .expect("a channel");
    assert_eq!(
        (hotline.kind, hotline.response_hours),
        (Channel::Hotline, 0)
    );
    // Spring Festival is listed for 2027 only.
    let festival = d
        .choose(Priority::Normal, None, at("2027-02-10 22:00"), "zh")
        .expect("a channel");
    assert_eq!(festival.busy.as_deref(), Some("春节"));
    let other_year = d
        .choose(Priority::Normal, None, at("2028-02-10 22:00"), "zh")
        .expect("a channel");
    assert_eq!(other_year.busy, None);
}

#[test]
fn bad_directories_are_refused_with_positions() {
    let text = r#"Directory(
    name: "x",
    channels: [
        Channel(kind: Hotline, contact: "x", hours: "9-21", response_hours: 0),
        Channel(kind: Hotline, contact: "y", response_hours: 0),
    ],
    busy: [Busy(name: "b", from: "13-01", to: "13-02", extra_hours: 1)],
)"#;
    let (directory, findings) = Directory::check_str("d.ron", text);
    assert!(directory.is_none());
    let places: Vec<(u32, u32, &str)> = findings
        .iter()
        .map(|f| (f.line, f.column, f.code.as_str()))
        .collect();
    assert_eq!(
        places,
        [(4, 53, "E014"), (5, 23, "E014"), (7, 12, "E014")],
        "{findings:#?}"
    );
    let (_, syntax) =
        Directory::check_str("d.ron", "Directory(name: \"x\", channels: [], colour: 1)");
    assert_eq!(syntax[0].code.as_str(), "E001");
}

#[test]
fn times_parse_and_convert() {
    assert_eq!(LocalTime::parse("2026-02-29 10:00"), None);
    assert_eq!(
        LocalTime::parse("2028-02-29 10:00")
            .map(|t| t.to_string())
            .as_deref(),
        Some("2028-02-29 10:00")
    );
    assert_eq!(LocalTime::parse("2026-01-01 24:00"), None);
    // 2026-11-22 00:00 UTC is 08:00 in China Standard Time.
    assert_eq!(
        LocalTime::from_unix(1_795_305_600, 480).to_string(),
        "2026-11-22 08:00"
    );
    assert_eq!(LocalTime::from_unix(-1, 0).to_string(), "1969-12-31 23:59");
}

fn escalated_session(locale: &str) -> Session {
    let tree = Tree::from_path("trees/recharge_failure.ron").expect("valid tree");
    let mut session = Session::builder(&tree)
        .locale(locale)
        .fact("network_ok", true)
        .start()
        .expect("starts");
    for answer in ["true", "60"] {
        session.answer_str(answer).expect("offered");
    }
    session
}

#[test]
fn a_ticket_carries_the_whole_case() {
    let session = escalated_session("en");
    let ticket = session
        .ticket(&directory(), at("2026-05-06 22:00"))
        .expect("the walk escalated");
    assert_eq!(ticket.tree, "recharge_failure");
    assert_eq!(ticket.node, "escalate_unreconciled");
    assert_eq!(
        ticket.fingerprint,
        format!("{:016x}", session.tree().fingerprint())
    );
    assert_eq!(ticket.priority, Priority::High);
    // The tree suggests the hotline, but at 22:00 it is closed.
    assert_eq!(ticket.channel.kind, Channel::InApp);
    let fact = |name: &str| {
        ticket
            .facts
            .iter()
            .find(|f| f.name == name)
            .map(|f| (f.tree.as_str(), f.value.clone(), f.source))
    };
    let here = "recharge_failure";
    assert_eq!(
        fact("money_debited"),
        Some((here, Value::Bool(true), FactSource::User))
    );
    assert_eq!(
        fact("hours_since_debit"),
        Some((here, Value::Number(60.0), FactSource::User))
    );
    // Given by the host (the wallet's back end), not by the user.
    assert_eq!(
        fact("network_ok"),
        Some((here, Value::Bool(true), FactSource::Host))
    );
    assert_eq!(ticket.started.tree, here);
    assert_eq!(ticket.started.node, "check_debited");
    assert!(!ticket.requested_by_user);
    assert!(ticket.case.starts_with("TT-20260506-"), "{}", ticket.case);
    assert!(
        ticket.prepare.iter().any(|p| p.contains("phone")),
        "{:?}",
        ticket.prepare
    );
    let origins: Vec<(&str, Origin)> = ticket
        .transcript
        .iter()
        .map(|l| (l.node.as_str(), l.origin))
        .collect();
    assert_eq!(
        origins,
        [
            ("check_debited", Origin::Given),
            ("debited_hours", Origin::Given),
            ("debited_hours", Origin::Auto),
        ]
    );
    assert_eq!(ticket.transcript[1].value, Some(Value::Number(60.0)));
    assert!(
        ticket.transcript[0]
            .answer
            .as_deref()
            .is_some_and(|a| a.starts_with("Yes"))
    );
}

#[test]
fn no_ticket_before_an_escalation() {
    let tree = Tree::from_path("trees/recharge_failure.ron").expect("valid tree");
    let session = Session::new(&tree).expect("starts");
    assert!(
        session
            .ticket(&directory(), at("2026-05-06 10:00"))
            .is_none()
    );
}

#[test]
fn tickets_render_in_both_languages() {
    let d = directory();
    let en = escalated_session("en")
        .ticket(&d, at("2026-05-06 10:00"))
        .expect("escalated")
        .render();
    for expected in [
        "Support ticket",
        "Priority: high",
        "hotline",
        "09:00–21:00",
        "Please have ready",
        "hours_since_debit = 60",
        "example data",
    ] {
        assert!(en.contains(expected), "missing {expected:?} in:\n{en}");
    }
    let zh = escalated_session("zh")
        .ticket(&d, at("2026-05-06 10:00"))
        .expect("escalated")
        .render();
    for expected in [
        "客服工单",
        "优先级: 高",
        "客服热线",
        "请准备",
        "排查记录",
        "示例数据",
    ] {
        assert!(zh.contains(expected), "missing {expected:?} in:\n{zh}");
    }
}

#[test]
fn tickets_serialise_to_json_and_back() {
    let ticket = escalated_session("en")
        .ticket(&directory(), at("2026-11-11 23:00"))
        .expect("escalated");
    let json = serde_json::to_string(&ticket).expect("serialises");
    let value: serde_json::Value = serde_json::from_str(&json).expect("is JSON");
    assert_eq!(value["node"], "escalate_unreconciled");
    assert_eq!(value["priority"], "High");
    assert_eq!(value["channel"]["kind"], "InApp");
    assert_eq!(value["channel"]["response_hours"], 48);
    let hours = value["facts"]
        .as_array()
        .and_then(|facts| facts.iter().find(|f| f["name"] == "hours_since_debit"))
        .expect("the fact is listed");
    assert_eq!(hours["value"], 60.0);
    assert_eq!(hours["source"], "user");
    assert_eq!(hours["tree"], "recharge_failure");
    assert_eq!(value["transcript"][0]["origin"], "given");
    let back: troubletree::Ticket = serde_json::from_str(&json).expect("deserialises");
    assert_eq!(back, ticket);
}

#[test]
fn rendering_strips_control_characters() {
    let text = "Tree(id: \"evil\", locales: [\"en\"], start: \"e\", nodes: [Escalate(id: \"e\", reason: \"\\u{1b}[2Jgone\", prepare: [\"\\u{7}bell\"])])";
    let tree = Tree::from_str(text).expect("valid tree");
    let session = Session::new(&tree).expect("starts");
    let rendered = session
        .ticket(&directory(), at("2026-05-06 10:00"))
        .expect("escalated")
        .render();
    assert!(
        !rendered.chars().any(|c| c.is_control() && c != '\n'),
        "{rendered:?}"
    );
    assert!(rendered.contains("[2Jgone"));
}

#[test]
fn urgent_prefers_the_hint_among_equally_fast_channels() {
    let d = directory();
    let chat = d
        .choose(
            Priority::Urgent,
            Some(Channel::Chat),
            at("2026-03-03 10:00"),
            "en",
        )
        .expect("a channel");
    assert_eq!(chat.kind, Channel::Chat);
    // A slower hint does not win an urgent case while a faster channel is open.
    let email = d
        .choose(
            Priority::Urgent,
            Some(Channel::Email),
            at("2026-03-03 10:00"),
            "en",
        )
        .expect("a channel");
    assert_eq!(email.kind, Channel::Hotline);
}
