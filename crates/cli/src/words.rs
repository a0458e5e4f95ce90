//! What the interactive walk says to a person, in the session's language: the keys, the
//! refusals (in the user's words, never node ids or internal values), the offer to save.
//! Scripted and JSON output stay in English for the programs and people who read them.

use troubletree::{AnswerError, FactType};

/// The phrases of one language.
pub(crate) struct Words {
    pub keys: &'static str,
    pub pick: &'static str,
    pub number: &'static str,
    pub text: &'static str,
    pub first: &'static str,
    pub ended: &'static str,
    pub too_long: &'static str,
    pub save_offer: &'static str,
    pub saved: &'static str,
    pub not_saved: &'static str,
    pub goodbye: &'static str,
}

const ZH: Words = Words {
    keys: "（输入编号作答；b 返回上一步；q 退出）",
    pick: "请输入上面列出的编号",
    number: "请输入一个数字，例如 3",
    text: "请输入一段文字",
    first: "这已经是第一个问题，没有可以返回的步骤。",
    ended: "排查已经结束。",
    too_long: "这次排查的步骤太多了，请联系客服。",
    save_offer: "要保存这次排查以便稍后继续吗？输入文件名保存，直接回车则不保存：",
    saved: "已保存。稍后继续：",
    not_saved: "未保存。",
    goodbye: "再见。",
};

const EN: Words = Words {
    keys: "(type the number of an answer; b: back; q: quit)",
    pick: "Please type one of the numbers above",
    number: "Please type a number, for example 3",
    text: "Please type some text",
    first: "This is the first question; there is nothing to go back to.",
    ended: "The walk has ended.",
    too_long: "This walk has taken too many steps; please contact customer service.",
    save_offer: "Save this walk to continue later? Type a file name, or press Enter to leave without saving:",
    saved: "Saved. To continue later:",
    not_saved: "Not saved.",
    goodbye: "Goodbye.",
};

/// The phrases for a locale: Chinese for `zh*`, English otherwise.
pub(crate) fn words(locale: &str) -> &'static Words {
    if locale.starts_with("zh") { &ZH } else { &EN }
}

/// A refusal in the user's words: what to type instead, never the tree's internals.
pub(crate) fn refusal(error: &AnswerError, count: usize, locale: &str) -> String {
    let w = words(locale);
    let zh = locale.starts_with("zh");
    match error {
        AnswerError::NotOffered { .. } | AnswerError::NoSuchAnswer { .. } if count > 0 => {
            if zh {
                format!("{}（1–{count}）。", w.pick)
            } else {
                format!("{} (1–{count}).", w.pick)
            }
        }
        AnswerError::WrongType {
            expected: FactType::Number,
            ..
        } => format!("{}{}", w.number, if zh { "。" } else { "." }),
        AnswerError::WrongType { .. } | AnswerError::NotOffered { .. } => {
            format!("{}{}", w.text, if zh { "。" } else { "." })
        }
        AnswerError::NothingToUndo => w.first.to_owned(),
        AnswerError::Ended { .. } => w.ended.to_owned(),
        AnswerError::StepLimit { .. } => w.too_long.to_owned(),
        // Anything else (a range a fact declares, say) says what it needs in English.
        other => other.to_string(),
    }
}
