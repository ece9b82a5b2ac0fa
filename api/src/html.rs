//! Small helpers for the printable pages (certificates, receipts).

/// Text made safe to place in HTML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

const DIGITS: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];

/// 1..=9999 in capital numerals, zeros inside said once (一千零五 → 壹仟零伍).
fn section(n: u64) -> String {
    const PLACES: [&str; 4] = ["", "拾", "佰", "仟"];
    let mut out = String::new();
    let mut zero = false;
    for place in (0..4).rev() {
        let d = (n / 10u64.pow(place)) % 10;
        if d == 0 {
            zero = !out.is_empty();
            continue;
        }
        if zero {
            out.push('零');
            zero = false;
        }
        out.push(DIGITS[d as usize]);
        out.push_str(PLACES[place as usize]);
    }
    out
}

/// An amount in fen as receipts write it in words (大写金额): `¥1,234.56` is
/// 壹仟贰佰叁拾肆元伍角陆分, `¥100` is 壹佰元整.
pub fn yuan_in_words(fen: i64) -> String {
    const GROUPS: [&str; 3] = ["", "万", "亿"];
    let negative = fen < 0;
    let fen = fen.unsigned_abs();
    let (yuan, jiao, cents) = (fen / 100, (fen / 10) % 10, fen % 10);
    let mut groups = Vec::new();
    let mut rest = yuan;
    while rest > 0 {
        groups.push(rest % 10_000);
        rest /= 10_000;
    }
    let mut out = String::new();
    if negative {
        out.push('负');
    }
    let mut gap = false;
    for (i, g) in groups.iter().enumerate().rev() {
        if *g == 0 {
            gap = !out.is_empty();
            continue;
        }
        // A zero between groups (壹万零伍) when this group lacks its thousands or a
        // whole group was empty.
        if (!out.is_empty() && out != "负") && (gap || *g < 1000) {
            out.push('零');
        }
        out.push_str(&section(*g));
        out.push_str(GROUPS.get(i).copied().unwrap_or("万亿"));
        gap = false;
    }
    if yuan > 0 {
        out.push('元');
    }
    match (jiao, cents) {
        (0, 0) if yuan == 0 => out.push_str("零元整"),
        (0, 0) => out.push('整'),
        (j, c) => {
            if j > 0 {
                out.push(DIGITS[j as usize]);
                out.push('角');
            } else if yuan > 0 {
                out.push('零');
            }
            if c > 0 {
                out.push(DIGITS[c as usize]);
                out.push('分');
            }
        }
    }
    out
}

/// `1234.56` from 123456 fen.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let f = fen.unsigned_abs();
    format!("{sign}{}.{:02}", f / 100, f % 100)
}

#[cfg(test)]
mod tests {
    use super::yuan_in_words;

    #[test]
    fn amounts_in_words() {
        for (fen, words) in [
            (0, "零元整"),
            (5, "伍分"),
            (50, "伍角"),
            (1_000, "壹拾元整"),
            (10_000, "壹佰元整"),
            (123_456, "壹仟贰佰叁拾肆元伍角陆分"),
            (100_005, "壹仟元零伍分"),
            (100_500, "壹仟零伍元整"),
            (100_000_000, "壹佰万元整"),
            (10_001_000, "壹拾万零壹拾元整"),
            (1_000_000_000, "壹仟万元整"),
            (10_000_000_000, "壹亿元整"),
            (10_000_000_100, "壹亿零壹元整"),
            (1_005_000_000, "壹仟零伍万元整"),
            (-10_000, "负壹佰元整"),
        ] {
            assert_eq!(yuan_in_words(fen), words, "{fen}");
        }
    }
}
