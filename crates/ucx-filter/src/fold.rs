//! Value preparation for comparison (RFC 4518, simplified), as a lazy `char` iterator so that
//! evaluating a record allocates nothing.

use std::str::Chars;

/// How a value is prepared before it is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fold {
    /// caseIgnoreMatch: leading and trailing spaces dropped, inner runs folded to one space,
    /// lower case.
    CaseIgnore,
    /// caseExactMatch: spaces folded as above, case kept.
    CaseExact,
    /// `~=`: every space dropped, lower case.
    Approx,
    /// Telephone numbers: spaces, dashes and brackets dropped, lower case.
    Phone,
}

impl Fold {
    /// The prepared form of `s` as a `String` (used once per filter value, at compile time).
    pub(crate) fn apply(self, s: &str) -> String {
        self.iter(s).collect()
    }

    /// The prepared form of `s`, lazily.
    pub(crate) fn iter(self, s: &str) -> Folded<'_> {
        Folded {
            chars: s.chars(),
            fold: self,
            started: false,
            pending: None,
            lower: None,
        }
    }
}

/// The iterator behind [`Fold::iter`].
#[derive(Debug, Clone)]
pub(crate) struct Folded<'a> {
    chars: Chars<'a>,
    fold: Fold,
    started: bool,
    pending: Option<char>,
    lower: Option<std::char::ToLowercase>,
}

impl Iterator for Folded<'_> {
    type Item = char;

    #[inline]
    fn next(&mut self) -> Option<char> {
        if let Some(lower) = &mut self.lower {
            if let Some(c) = lower.next() {
                return Some(c);
            }
            self.lower = None;
        }
        let mut c = match self.pending.take() {
            Some(c) => c,
            None => self.chars.next()?,
        };
        match self.fold {
            Fold::CaseIgnore | Fold::CaseExact => {
                if c.is_whitespace() {
                    let next = self.chars.by_ref().find(|n| !n.is_whitespace())?;
                    if self.started {
                        self.pending = Some(next);
                        return Some(' ');
                    }
                    c = next;
                }
            }
            Fold::Approx => {
                if c.is_whitespace() {
                    c = self.chars.by_ref().find(|n| !n.is_whitespace())?;
                }
            }
            Fold::Phone => {
                if is_phone_noise(c) {
                    c = self.chars.by_ref().find(|n| !is_phone_noise(*n))?;
                }
            }
        }
        self.started = true;
        if self.fold == Fold::CaseExact {
            return Some(c);
        }
        if c.is_ascii() {
            return Some(c.to_ascii_lowercase());
        }
        let mut lower = c.to_lowercase();
        let first = lower.next();
        self.lower = Some(lower);
        first
    }
}

fn is_phone_noise(c: char) -> bool {
    matches!(c, '-' | '(' | ')' | '[' | ']') || c.is_whitespace()
}

#[cfg(test)]
mod tests {
    use super::Fold;

    #[test]
    fn case_ignore_folds_spaces_and_case() {
        assert_eq!(Fold::CaseIgnore.apply("  New   York \t"), "new york");
        assert_eq!(Fold::CaseIgnore.apply(""), "");
        assert_eq!(Fold::CaseIgnore.apply("   "), "");
        assert_eq!(Fold::CaseIgnore.apply("ÄRGER İ"), "ärger i\u{307}");
    }

    #[test]
    fn case_exact_keeps_case() {
        assert_eq!(
            Fold::CaseExact.apply(" Dino  Flintstone "),
            "Dino Flintstone"
        );
    }

    #[test]
    fn approx_drops_all_spaces() {
        assert_eq!(Fold::Approx.apply(" New  York"), "newyork");
    }

    #[test]
    fn phone_drops_punctuation() {
        assert_eq!(Fold::Phone.apply("+1 (555) 456-7890"), "+15554567890");
        assert_eq!(Fold::Phone.apply("--"), "");
    }
}
