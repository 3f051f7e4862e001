//! The text template syntax of transcripts: literals and `{name}` placeholders.

pub(crate) enum Piece<'a> {
    Literal(&'a str),
    Placeholder(&'a str),
}

fn is_ident(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Splits a template into literals and `{name}` placeholders; `{{` and `}}` are literal braces,
/// and braces around anything that is not an identifier stay as they are.
pub(crate) fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(pos) = rest.find(['{', '}']) {
        let (lit, tail) = rest.split_at(pos);
        if !lit.is_empty() {
            out.push(Piece::Literal(lit));
        }
        if let Some(after) = tail.strip_prefix("{{") {
            out.push(Piece::Literal("{"));
            rest = after;
        } else if let Some(after) = tail.strip_prefix("}}") {
            out.push(Piece::Literal("}"));
            rest = after;
        } else if let Some(inner) = tail.strip_prefix('{')
            && let Some(end) = inner.find('}')
            && is_ident(&inner[..end])
        {
            out.push(Piece::Placeholder(&inner[..end]));
            rest = &inner[end + 1..];
        } else {
            out.push(Piece::Literal(&tail[..1]));
            rest = &tail[1..];
        }
    }
    if !rest.is_empty() {
        out.push(Piece::Literal(rest));
    }
    out
}

/// The placeholder names used in a template.
pub(crate) fn placeholders(template: &str) -> Vec<&str> {
    pieces(template)
        .into_iter()
        .filter_map(|p| match p {
            Piece::Placeholder(name) => Some(name),
            Piece::Literal(_) => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_placeholders_and_escapes() {
        assert_eq!(placeholders("a {x} {{y}} {not one} {z_1}"), vec!["x", "z_1"]);
    }
}
