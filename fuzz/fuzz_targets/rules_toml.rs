//! Rule files (TOML, expressions, templates) on arbitrary text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = ucx_mapping::RuleSet::from_toml(text);
    }
});
