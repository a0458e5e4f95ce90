//! The writing conventions of the shipped trees (docs/CONTENT.md), kept by CI: Chinese
//! texts use full-width punctuation and 您, menu paths are written one way, English says
//! "top up". The texts are read from the files as plain RON values, independently of the
//! tree model.

use std::path::{Path, PathBuf};

use ron::Value;

/// Half-width punctuation that Chinese text writes full-width: `，：？；（）`.
const HALF_WIDTH: [char; 6] = [',', ':', '?', ';', '(', ')'];

fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{4e00}'..='\u{9fff}'     // CJK unified ideographs
        | '\u{3400}'..='\u{4dbf}'   // extension A
        | '\u{3000}'..='\u{303f}'   // CJK punctuation: 。、「」
        | '\u{ff00}'..='\u{ffef}'   // full-width forms: ，：？；（）
    )
}

/// Each half-width `，：？；（）` next to a CJK character, with a little context.
fn half_width_offences(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    for (i, &c) in chars.iter().enumerate() {
        if !HALF_WIDTH.contains(&c) {
            continue;
        }
        let before = i.checked_sub(1).map(|j| chars[j]);
        let after = chars.get(i + 1).copied();
        if before.is_some_and(is_cjk) || after.is_some_and(is_cjk) {
            let from = i.saturating_sub(6);
            let to = (i + 7).min(chars.len());
            out.push(format!(
                "{c:?} in «{}»",
                chars[from..to].iter().collect::<String>()
            ));
        }
    }
    out
}

/// The shipped RON files: every tree and the service directory.
fn shipped_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir("trees")
        .expect("trees/ is readable")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    assert!(files.len() >= 15, "the shipped trees are found: {files:?}");
    files
}

/// Every string under a map key `locale`, anywhere in the value.
fn texts_in(value: &Value, locale: &str, out: &mut Vec<String>) {
    match value {
        Value::Map(map) => {
            for (k, v) in map.iter() {
                if let (Value::String(k), Value::String(v)) = (k, v)
                    && k == locale
                {
                    out.push(v.clone());
                }
                texts_in(k, locale, out);
                texts_in(v, locale, out);
            }
        }
        Value::Seq(items) => items.iter().for_each(|v| texts_in(v, locale, out)),
        Value::Option(Some(v)) => texts_in(v, locale, out),
        _ => {}
    }
}

fn texts(path: &Path, locale: &str) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("a shipped file is readable");
    let value: Value = ron::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not readable as RON: {e}", path.display()));
    let mut out = Vec::new();
    texts_in(&value, locale, &mut out);
    assert!(!out.is_empty(), "{} has {locale} texts", path.display());
    out
}

/// Runs `check` on every text of `locale` in every shipped file; fails with every offence.
fn every_text(locale: &str, check: impl Fn(&str) -> Vec<String>) {
    let mut offences = Vec::new();
    for path in shipped_files() {
        for text in texts(&path, locale) {
            for offence in check(&text) {
                offences.push(format!("{}: {offence}", path.display()));
            }
        }
    }
    assert!(
        offences.is_empty(),
        "{} offence(s):\n{}",
        offences.len(),
        offences.join("\n")
    );
}

#[test]
fn the_checker_sees_half_width_punctuation_next_to_chinese() {
    assert_eq!(half_width_offences("扣款,但没到账").len(), 1);
    assert_eq!(half_width_offences("到账了吗?").len(), 1);
    assert_eq!(half_width_offences("号码(示例)").len(), 2);
    assert_eq!(half_width_offences("Wi-Fi,然后").len(), 1);
    // Times, numbers and English stay as they are.
    assert!(half_width_offences("每天9:00–21:00，例如 128.5。").is_empty());
    assert!(half_width_offences("Hotline (example), daily 09:00").is_empty());
    assert!(half_width_offences("扣款，但没到账：（示例）？；").is_empty());
}

#[test]
fn chinese_texts_use_full_width_punctuation() {
    every_text("zh", half_width_offences);
}

#[test]
fn chinese_texts_say_nin() {
    every_text("zh", |t| {
        t.contains('你')
            .then(|| format!("你 in «{t}»"))
            .into_iter()
            .collect()
    });
}

#[test]
fn menu_paths_are_written_one_way() {
    // 「我的」>「设置」>「账户与安全」: each step in its own corner brackets, joined by >.
    every_text("zh", |t| {
        ["→", "我的 >", "> 帮助", "账户安全」", "安全设置"]
            .iter()
            .filter(|bad| t.contains(**bad))
            .map(|bad| format!("{bad:?} in «{t}»"))
            .collect()
    });
    every_text("en", |t| {
        ["→", "Me >", "Account security'"]
            .iter()
            .filter(|bad| t.contains(**bad))
            .map(|bad| format!("{bad:?} in «{t}»"))
            .collect()
    });
}

#[test]
fn english_texts_say_top_up() {
    every_text("en", |t| {
        let lower = t.to_lowercase();
        ["recharge", "report lost"]
            .iter()
            .filter(|bad| lower.contains(**bad))
            .map(|bad| format!("{bad:?} in «{t}»"))
            .collect()
    });
}
