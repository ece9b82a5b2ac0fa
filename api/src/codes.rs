//! Validated identifiers from outside Kapok: resident ID numbers (GB 11643), unified
//! social credit codes (GB 32100), mainland mobile numbers. Each is a newtype that
//! can only be built by `parse`.

use chrono::NaiveDate;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeFormatError {
    #[error(
        "the resident ID number must be 18 characters: 17 digits and a check digit (0-9 or X)"
    )]
    ResidentIdShape,
    #[error("the resident ID number's check digit is wrong")]
    ResidentIdCheckDigit,
    #[error("the resident ID number holds no valid birth date")]
    ResidentIdBirthDate,
    #[error("the {0} number has an invalid format")]
    DocumentShape(&'static str),
    #[error("the unified social credit code must be 18 characters from 0-9 and A-Y without I, O, S, V, Z")]
    CreditCodeShape,
    #[error("the unified social credit code's check character is wrong")]
    CreditCodeCheck,
    #[error("the phone number must be a mainland mobile number: 11 digits starting 13-19")]
    Phone,
}

/// An 18-character resident identity card number with a valid check digit and date.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResidentId(String);

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: [u8; 11] = *b"10X98765432";

impl ResidentId {
    pub fn parse(s: &str) -> Result<ResidentId, CodeFormatError> {
        let s = s.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        if b.len() != 18
            || !b[..17].iter().all(u8::is_ascii_digit)
            || !(b[17].is_ascii_digit() || b[17] == b'X')
        {
            return Err(CodeFormatError::ResidentIdShape);
        }
        let sum: u32 = b[..17]
            .iter()
            .zip(ID_WEIGHTS)
            .map(|(d, w)| u32::from(d - b'0') * w)
            .sum();
        if ID_CHECK[(sum % 11) as usize] != b[17] {
            return Err(CodeFormatError::ResidentIdCheckDigit);
        }
        let id = ResidentId(s);
        id.birth_date_checked()?;
        Ok(id)
    }

    fn birth_date_checked(&self) -> Result<NaiveDate, CodeFormatError> {
        NaiveDate::parse_from_str(&self.0[6..14], "%Y%m%d")
            .ok()
            .filter(|d| *d >= NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default())
            .ok_or(CodeFormatError::ResidentIdBirthDate)
    }

    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date_checked().unwrap_or_default()
    }

    /// The 17th digit: odd for men, even for women.
    pub fn is_male(&self) -> bool {
        (self.0.as_bytes()[16] - b'0') % 2 == 1
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Kinds of identity document a volunteer may register with (stored and exposed as
/// one enum, `entity::kinds::IdType`).
pub use entity::kinds::IdType as IdKind;

/// A validated identity document number of a given kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdDocument {
    pub kind: IdKind,
    number: String,
    resident: Option<ResidentId>,
}

impl IdDocument {
    pub fn parse(kind: IdKind, number: &str) -> Result<IdDocument, CodeFormatError> {
        let n = number.trim().to_ascii_uppercase();
        let ok = |cond: bool, what| {
            if cond {
                Ok(())
            } else {
                Err(CodeFormatError::DocumentShape(what))
            }
        };
        let resident = match kind {
            IdKind::ResidentId => Some(ResidentId::parse(&n)?),
            IdKind::Passport => {
                ok(
                    (5..=20).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_alphanumeric()),
                    "passport",
                )?;
                None
            }
            IdKind::HkMacauPermit => {
                ok(
                    matches!(n.as_bytes().first(), Some(b'H' | b'M'))
                        && (9..=11).contains(&n.len())
                        && n.bytes().skip(1).all(|b| b.is_ascii_digit()),
                    "Hong Kong and Macao permit",
                )?;
                None
            }
            IdKind::TaiwanPermit => {
                ok(
                    n.len() == 8 && n.bytes().all(|b| b.is_ascii_digit()),
                    "Taiwan permit",
                )?;
                None
            }
        };
        Ok(IdDocument {
            kind,
            number: n,
            resident,
        })
    }

    pub fn number(&self) -> &str {
        &self.number
    }

    pub fn resident(&self) -> Option<&ResidentId> {
        self.resident.as_ref()
    }
}

/// Masks all but the first 6 and last 4 characters of an ID number
/// (`440104********1234`); short numbers keep only their last 2.
pub fn mask_id_number(n: &str) -> String {
    let chars: Vec<char> = n.chars().collect();
    let (head, tail) = if chars.len() >= 14 {
        (6, 4)
    } else {
        (0, 2.min(chars.len()))
    };
    let stars = chars.len() - head - tail;
    let mut out: String = chars[..head].iter().collect();
    out.extend(std::iter::repeat_n('*', stars));
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// A name as public notices show it: `张*`, `张*丰`, `欧**明`.
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.trim().chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".into(),
        2 => format!("{}*", chars[0]),
        n => {
            let mut out = String::new();
            out.push(chars[0]);
            out.extend(std::iter::repeat_n('*', n - 2));
            out.push(chars[n - 1]);
            out
        }
    }
}

/// A mainland mobile number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(s: &str) -> Result<Phone, CodeFormatError> {
        let digits: String = s.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let digits = digits.strip_prefix("+86").unwrap_or(&digits).to_owned();
        let b = digits.as_bytes();
        if b.len() == 11
            && b[0] == b'1'
            && (b'3'..=b'9').contains(&b[1])
            && b.iter().all(u8::is_ascii_digit)
        {
            Ok(Phone(digits))
        } else {
            Err(CodeFormatError::Phone)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `138****5678`.
pub fn mask_phone(p: &str) -> String {
    if p.len() == 11 {
        format!("{}****{}", &p[..3], &p[7..])
    } else {
        mask_id_number(p)
    }
}

/// A unified social credit code (统一社会信用代码) with a valid check character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocialCreditCode(String);

const USCC_CHARS: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

impl SocialCreditCode {
    pub fn parse(s: &str) -> Result<SocialCreditCode, CodeFormatError> {
        let s = s.trim().to_ascii_uppercase();
        let values: Option<Vec<u32>> = s
            .bytes()
            .map(|b| USCC_CHARS.iter().position(|c| *c == b).map(|p| p as u32))
            .collect();
        let values = values
            .filter(|v| v.len() == 18)
            .ok_or(CodeFormatError::CreditCodeShape)?;
        let sum: u32 = values[..17]
            .iter()
            .zip(USCC_WEIGHTS)
            .map(|(v, w)| v * w)
            .sum();
        let check = (31 - sum % 31) % 31;
        if values[17] != check {
            return Err(CodeFormatError::CreditCodeCheck);
        }
        Ok(SocialCreditCode(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_ids_check_digit_date_and_gender() {
        // 11010519491231002X: the standard's own example.
        let id = ResidentId::parse("11010519491231002x").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert!(!id.is_male());
        let male = ResidentId::parse("440104199003071239").unwrap();
        assert!(male.is_male());
        assert_eq!(
            ResidentId::parse("440104199003071234"),
            Err(CodeFormatError::ResidentIdCheckDigit)
        );
        assert_eq!(
            ResidentId::parse("4401041990030712"),
            Err(CodeFormatError::ResidentIdShape)
        );
        assert_eq!(
            ResidentId::parse("44010419900307123A"),
            Err(CodeFormatError::ResidentIdShape)
        );
        // Right check digit, impossible date (Feb 30).
        assert_eq!(
            ResidentId::parse("440104199002301231"),
            Err(CodeFormatError::ResidentIdBirthDate)
        );
    }

    #[test]
    fn masking() {
        assert_eq!(mask_id_number("440104199003071239"), "440104********1239");
        assert_eq!(mask_id_number("E12345678"), "*******78");
        assert_eq!(mask_phone("13812345678"), "138****5678");
    }

    #[test]
    fn credit_codes() {
        assert!(SocialCreditCode::parse("91350100M000100Y43").is_ok());
        assert!(SocialCreditCode::parse("91350100M000100Y44").is_err());
        assert!(SocialCreditCode::parse("91350100M000100Y4").is_err());
        assert!(SocialCreditCode::parse("91350100M000100I43").is_err());
    }

    #[test]
    fn phones_and_documents() {
        assert_eq!(
            Phone::parse("+86 138-1234-5678").unwrap().as_str(),
            "13812345678"
        );
        assert!(Phone::parse("12812345678").is_err());
        assert!(IdDocument::parse(IdKind::Passport, "E12345678").is_ok());
        assert!(IdDocument::parse(IdKind::Passport, "E1").is_err());
        assert!(IdDocument::parse(IdKind::HkMacauPermit, "H12345678").is_ok());
        assert!(IdDocument::parse(IdKind::TaiwanPermit, "12345678").is_ok());
    }
}
