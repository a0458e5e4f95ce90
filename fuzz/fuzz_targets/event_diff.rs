//! Fuzz target `event_diff`: `Event::parse` (the fast reader of event lines) against
//! serde_json, on arbitrary bytes (as UTF-8 when they are, lossily decoded otherwise).
//! Whatever the fast reader reads, serde_json reads the same; whatever serde_json reads
//! from a JSON object (whose `via` is an array of objects), the fast reader reads the
//! same; numbers bit for bit. serde also reads a struct written as a positional array,
//! which no event line is: the fast reader refuses those. The unit test
//! `the_fast_event_reader_reads_what_serde_json_reads` in `tests/it/analytics.rs` holds
//! the same property on damaged lines.
#![no_main]

use troubletree::{Event, Value};

fn object_shaped(text: &str) -> bool {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(text)
    else {
        return false;
    };
    match map.get("via") {
        Some(serde_json::Value::Array(items)) => items.iter().all(serde_json::Value::is_object),
        _ => true,
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let lossy;
    let text = match std::str::from_utf8(data) {
        Ok(text) => text,
        Err(_) => {
            lossy = String::from_utf8_lossy(data);
            &lossy
        }
    };
    let fast = Event::parse(text);
    let reference = serde_json::from_str::<Event>(text);
    match (fast, reference) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a, b, "{text:?}");
            if let (Some(Value::Number(x)), Some(Value::Number(y))) = (&a.value, &b.value) {
                assert_eq!(x.to_bits(), y.to_bits(), "{text:?}");
            }
        }
        (Err(_), Err(_)) => {}
        (Ok(a), Err(e)) => panic!("only the fast reader reads {text:?}: {a:?} (serde: {e})"),
        (Err(e), Ok(b)) => assert!(
            !object_shaped(text),
            "only serde reads {text:?}: {b:?} (fast reader: {e})"
        ),
    }
});
