//! The service directory and escalation tickets: channel choice by time of day and
//! priority, busy periods, what the ticket carries, text rendering and JSON.

use troubletree::directory::LocalTime;
use troubletree::ticket::FactSource;
use troubletree::{
    Catalogue, Channel, Directory, Loader, Origin, Priority, Report, Session, Tree, Value,
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
    // In-app feedback promises 48 h, and usually answers within 24.
    assert_eq!(
        (evening.response_hours, evening.usual_hours),
        (48, Some(24))
    );
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
    // At night the hotline and chat are closed: the 24-hour line, reserved for urgent
    // cases, answers at once.
    let night = d
        .choose(Priority::Urgent, None, at("2026-03-03 02:00"), "en")
        .expect("a channel");
    assert_eq!(
        (
            night.kind,
            night.hours,
            night.open_now,
            night.response_hours
        ),
        (Channel::Hotline, None, true, 0)
    );
    assert!(night.contact.contains("24-hour"), "{}", night.contact);
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
    assert_eq!(
        (double_11.response_hours, double_11.usual_hours),
        (72, Some(48))
    );
    assert_eq!(double_11.busy.as_deref(), Some("Double 11"));
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
    let Report {
        loaded: directory,
        findings,
        ..
    } = Loader::new().directory("d.ron", text);
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
    let syntax = Loader::new()
        .directory("d.ron", "Directory(name: \"x\", channels: [], colour: 1)")
        .findings;
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

/// A fact's value in a ticket, whatever tree holds it.
fn fact(ticket: &troubletree::Ticket, name: &str) -> Option<Value> {
    ticket
        .facts
        .iter()
        .find(|f| f.name == name)
        .map(|f| f.value.clone())
}

fn escalated_session(locale: &str) -> Session {
    let tree = Tree::from_path("trees/recharge_failure.ron").expect("valid tree");
    let mut session = Session::builder(&tree)
        .locale(locale)
        .fact("network_ok", true)
        .start()
        .expect("starts");
    // Debited 60 hours ago; the amount is captured before the hand-over.
    for answer in ["true", "60", "100"] {
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
            ("ask_debit_amount", Origin::Given),
        ]
    );
    assert_eq!(
        fact("amount"),
        Some((here, Value::Number(100.0), FactSource::User))
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
        // Facts by their labels, values in the user's words.
        "hours since the debit = 60",
        "debited but not credited = Yes",
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
        "优先级：高",
        "客服热线",
        "请准备",
        "扣款后经过的小时数 = 60",
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
    assert_eq!(value["channel"]["response_hours"], 72);
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

#[test]
fn a_stolen_account_at_23_10_reaches_the_24_hour_line() {
    let d = directory();
    let late = at("2026-03-03 23:10");
    // Whether or not the user can still log in, an urgent case at night is answered at
    // once by the line that never closes.
    for can_log_in in [true, false] {
        let choice = d
            .choose_for(
                Priority::Urgent,
                Some(Channel::Hotline),
                can_log_in,
                late,
                "zh",
            )
            .expect("a channel");
        assert_eq!(
            (choice.kind, choice.hours, choice.open_now, choice.login),
            (Channel::Hotline, None, true, false),
            "can_log_in = {can_log_in}"
        );
        assert!(choice.contact.contains("24小时"), "{}", choice.contact);
    }
    // In the daytime too, the security line takes an urgent case before the general one.
    let day = d
        .choose(
            Priority::Urgent,
            Some(Channel::Hotline),
            at("2026-03-03 10:00"),
            "en",
        )
        .expect("a channel");
    assert!(day.contact.contains("24-hour"), "{}", day.contact);
    // The line is reserved: an ordinary case at night goes to written feedback.
    for priority in [Priority::Low, Priority::Normal, Priority::High] {
        let choice = d
            .choose(priority, Some(Channel::Hotline), late, "en")
            .expect("a channel");
        assert!(
            !choice.contact.contains("24-hour"),
            "{priority:?}: {choice:?}"
        );
    }
}

#[test]
fn a_locked_out_user_is_never_sent_to_a_login_channel() {
    let d = directory();
    let hints = [
        None,
        Some(Channel::Hotline),
        Some(Channel::InApp),
        Some(Channel::Chat),
        Some(Channel::Email),
    ];
    let priorities = [
        Priority::Low,
        Priority::Normal,
        Priority::High,
        Priority::Urgent,
    ];
    let mut login_channels_seen = 0;
    for hour in 0..24 {
        for minute in [0, 30] {
            let now = LocalTime::new(2026, 3, 3, hour, minute).expect("valid");
            for priority in priorities {
                for hint in hints {
                    let locked_out = d
                        .choose_for(priority, hint, false, now, "en")
                        .expect("a channel");
                    assert!(
                        !locked_out.login
                            && !matches!(locked_out.kind, Channel::InApp | Channel::Chat),
                        "{now} {priority:?} {hint:?}: {locked_out:?}"
                    );
                    let can = d
                        .choose_for(priority, hint, true, now, "en")
                        .expect("a channel");
                    login_channels_seen += usize::from(can.login);
                }
            }
        }
    }
    // The test would prove nothing if the directory had no login channel to avoid.
    assert!(login_channels_seen > 0);
    // At night, an ordinary case of a locked-out user goes to e-mail, not in-app feedback.
    let night = d
        .choose_for(
            Priority::Normal,
            Some(Channel::InApp),
            false,
            at("2026-03-03 22:00"),
            "en",
        )
        .expect("a channel");
    assert_eq!((night.kind, night.response_hours), (Channel::Email, 48));
}

#[test]
fn the_ticket_passes_can_log_in_to_the_directory() {
    let d = directory();
    // The shipped stolen-account flow: a user who can no longer log in, at 23:10.
    let stolen = Tree::from_path("trees/account_stolen.ron").expect("valid tree");
    let session = Session::builder(&stolen)
        .locale("zh")
        .fact(Directory::LOGIN_FACT, false)
        .start()
        .expect("starts");
    let ticket = session
        .ticket(&d, at("2026-03-03 23:10"))
        .expect("escalated at once");
    assert_eq!(ticket.priority, Priority::Urgent);
    assert!(
        ticket.channel.contact.contains("24小时") && ticket.channel.open_now,
        "{:?}",
        ticket.channel
    );
    // An ordinary escalation hinting at in-app feedback, at night: the fact decides.
    let text = r#"Tree(
        id: "t",
        locales: ["en"],
        facts: [Fact(name: "can_log_in", type: Bool)],
        start: "e",
        nodes: [Escalate(id: "e", reason: "Write to us.", priority: Normal, channel: InApp)],
    )"#;
    let tree = Tree::from_str(text).expect("valid tree");
    let night = at("2026-03-03 22:00");
    for (fact, kind) in [
        (None, Channel::InApp),
        (Some(true), Channel::InApp),
        (Some(false), Channel::Email),
    ] {
        let mut builder = Session::builder(&tree);
        if let Some(value) = fact {
            builder = builder.fact("can_log_in", value);
        }
        let ticket = builder
            .start()
            .expect("starts")
            .ticket(&d, night)
            .expect("escalated");
        assert_eq!(ticket.channel.kind, kind, "can_log_in = {fact:?}");
    }
}

#[test]
fn directory_priorities_and_reply_times_are_checked() {
    // Two hotlines for disjoint priorities are fine.
    let ok = r#"Directory(name: "x", channels: [
        Channel(kind: Hotline, contact: "day", hours: "09:00-21:00", response_hours: 0, only_for: [Low, Normal, High]),
        Channel(kind: Hotline, contact: "always", response_hours: 0, only_for: [Urgent]),
    ])"#;
    let Report {
        loaded: directory,
        findings,
        ..
    } = Loader::new().directory("ok.ron", ok);
    assert!(findings.is_empty(), "{findings:#?}");
    let directory = directory.expect("valid");
    let night = at("2026-03-03 23:00");
    let urgent = directory
        .choose(Priority::Urgent, None, night, "en")
        .expect("a channel");
    assert_eq!(urgent.contact, "always");
    let normal = directory
        .choose(Priority::Normal, None, night, "en")
        .expect("a channel");
    assert_eq!((normal.contact.as_str(), normal.open_now), ("day", false));

    let bad = r#"Directory(name: "x", channels: [
        Channel(kind: Hotline, contact: "a", response_hours: 0, only_for: [Urgent, High]),
        Channel(kind: Hotline, contact: "b", response_hours: 0, only_for: [High]),
        Channel(kind: Chat, contact: "c", response_hours: 0, only_for: []),
        Channel(kind: Email, contact: "d", response_hours: 24, usual_hours: 48),
    ])"#;
    let Report {
        loaded: directory,
        findings,
        ..
    } = Loader::new().directory("bad.ron", bad);
    assert!(directory.is_none());
    let places: Vec<(u32, &str)> = findings.iter().map(|f| (f.line, f.code.as_str())).collect();
    assert_eq!(
        places,
        [(3, "E014"), (4, "E014"), (5, "E014")],
        "{findings:#?}"
    );
}

#[test]
fn a_locked_out_password_reset_is_never_sent_inside_the_app() {
    // forgot_password: the login password is forgotten and the app is signed out; the
    // reset keeps failing. At 22:00 (hotline closed) the ticket must not name in-app
    // feedback or chat, which both need a login.
    let d = directory();
    let tree = Tree::from_path("trees/forgot_password.ron").expect("valid tree");
    let mut session = Session::builder(&tree)
        .locale("en")
        .fact("unauthorized_activity", false)
        .fact("account_restricted", false)
        .start()
        .expect("starts");
    for answer in ["login", "not_solved", "false", "rejected", "not_solved"] {
        session.answer_str(answer).expect("offered");
    }
    let night = session
        .ticket(&d, at("2026-03-03 22:00"))
        .expect("escalated");
    assert_eq!(night.node, "escalate_reset_failed");
    assert_eq!(fact(&night, "can_log_in"), Some(Value::Bool(false)));
    assert!(
        !night.channel.login && night.channel.kind == Channel::Email,
        "{:?}",
        night.channel
    );
    // The same walk by a user still signed in goes to the tree's hint when it is open,
    // or to in-app feedback at night.
    let mut signed_in = Session::builder(&tree)
        .locale("en")
        .fact("unauthorized_activity", false)
        .fact("account_restricted", false)
        .start()
        .expect("starts");
    for answer in [
        "login",
        "not_solved",
        "true",
        "not_solved",
        "rejected",
        "not_solved",
    ] {
        signed_in.answer_str(answer).expect("offered");
    }
    let ticket = signed_in
        .ticket(&d, at("2026-03-03 22:00"))
        .expect("escalated");
    assert_eq!(ticket.channel.kind, Channel::InApp);
}

#[test]
fn unrecognised_activity_abroad_at_3_00_reaches_the_24_hour_line() {
    // overseas_use hands activity the user did not make to account_stolen; the freeze
    // fails at 03:00 and the urgent ticket names the line that never closes.
    let d = directory();
    let catalogue = Catalogue::from_dir("trees").expect("the shipped trees load");
    let mut session = Session::builder(&catalogue)
        .tree("overseas_use")
        .locale("en")
        .start()
        .expect("starts");
    // The journey follows the Goto into account_stolen by itself.
    for answer in ["security", "done", "true", "true", "false", "done", "no"] {
        session.answer_str(answer).expect("offered");
    }
    let ticket = session
        .ticket(&d, at("2026-03-03 03:00"))
        .expect("escalated");
    assert_eq!(ticket.node, "escalate_freeze");
    assert_eq!(ticket.priority, Priority::Urgent);
    assert!(
        ticket.channel.open_now && ticket.channel.contact.contains("24-hour"),
        "{:?}",
        ticket.channel
    );
}

/// A time read back with serde is checked like `LocalTime::new`: a ticket cannot claim
/// the 40th of a 13th month.
#[test]
fn local_times_are_checked_when_read_back() {
    let good: LocalTime =
        serde_json::from_str(r#"{"year": 2026, "month": 2, "day": 28, "hour": 23, "minute": 59}"#)
            .expect("a valid time");
    assert_eq!(good.to_string(), "2026-02-28 23:59");
    for bad in [
        r#"{"year": 2026, "month": 13, "day": 40, "hour": 25, "minute": 0}"#,
        r#"{"year": 2026, "month": 2, "day": 29, "hour": 0, "minute": 0}"#,
        r#"{"year": 2026, "month": 1, "day": 1, "hour": 0, "minute": 60}"#,
    ] {
        let err = serde_json::from_str::<LocalTime>(bad).expect_err("refused");
        assert!(err.to_string().contains("not a valid local time"), "{err}");
    }
}
