//! The filter parser, strict and lenient, and printing back what it accepts.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(f) = ucx_filter::Filter::parse(text) {
            // What is accepted prints to a filter that parses to the same tree.
            let again = ucx_filter::Filter::parse(&f.to_string()).expect("printed filter parses");
            assert_eq!(f, again);
        }
    }
    let lenient = ucx_filter::ParseOptions::lenient();
    let _ = lenient.parse(data);
});
