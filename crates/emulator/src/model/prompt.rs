//! Token estimates and the prompt blocks that prompt caching works on.

use sha2::{Digest, Sha256};

use super::types::{Block, CacheTtl, Conversation, PromptBlock, Role, ToolDef};

/// Deterministic token estimate: one token per started group of four characters (Unicode
/// scalar values), i.e. `ceil(chars / 4)`. The empty string is 0 tokens.
pub fn count_tokens(text: &str) -> u32 {
    let chars = text.chars().count();
    u32::try_from(chars.div_ceil(4)).unwrap_or(u32::MAX)
}

/// Builds [`PromptBlock`]s in the order tools → system → messages, one per tool, system text
/// block and content block. Each block's fingerprint chains the SHA-256 of the previous one with
/// the block's canonical text, so equal fingerprints mean equal prefixes whatever the wire API.
///
/// Wire formats mark cache points differently: Converse inserts a `cachePoint` block *after* the
/// content to cache, Anthropic puts `cache_control` *on* the block. Both map to
/// [`PromptBuilder::cache_point`], called right after pushing the block that ends the prefix.
#[derive(Debug, Default, Clone)]
pub struct PromptBuilder {
    blocks: Vec<PromptBlock>,
    last: [u8; 32],
}

impl PromptBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a tool definition.
    pub fn tool(&mut self, tool: &ToolDef) -> &mut Self {
        let schema =
            if tool.input_schema.is_null() { String::new() } else { tool.input_schema.to_string() };
        let kind = tool.kind.as_deref().unwrap_or("custom");
        let text = format!("{}\n{}\n{}", tool.name, tool.description, schema);
        self.push("tool", kind, &text)
    }

    /// Adds one system text block.
    pub fn system(&mut self, text: &str) -> &mut Self {
        self.push("system", "text", text)
    }

    /// Adds one content block of a message.
    pub fn block(&mut self, role: Role, block: &Block) -> &mut Self {
        let role = match role {
            Role::User => "user",
            Role::Assistant => "assistant",
        };
        match block {
            Block::Text(t) => self.push(role, "text", t),
            Block::ToolUse { id, name, input } => {
                self.push(role, "tool_use", &format!("{id}\n{name}\n{input}"))
            }
            Block::ToolResult { tool_use_id, text, is_error } => {
                self.push(role, "tool_result", &format!("{tool_use_id}\n{is_error}\n{text}"))
            }
        }
    }

    /// Marks the prefix ending with the last pushed block as one to cache. Ignored when nothing
    /// was pushed yet (a cache point at the very start caches nothing).
    pub fn cache_point(&mut self, ttl: CacheTtl) -> &mut Self {
        if let Some(last) = self.blocks.last_mut() {
            last.cache_point = Some(ttl);
        }
        self
    }

    pub fn finish(self) -> Vec<PromptBlock> {
        self.blocks
    }

    fn push(&mut self, section: &str, kind: &str, text: &str) -> &mut Self {
        let mut hasher = Sha256::new();
        hasher.update(self.last);
        hasher.update(section.as_bytes());
        hasher.update([0]);
        hasher.update(kind.as_bytes());
        hasher.update([0]);
        hasher.update(text.as_bytes());
        let fingerprint: [u8; 32] = hasher.finalize().into();
        self.last = fingerprint;
        self.blocks.push(PromptBlock {
            tokens: count_tokens(text),
            fingerprint,
            cache_point: None,
        });
        self
    }
}

/// Prompt blocks for a conversation without any cache point, for callers that have no wire
/// request to take cache points from (tests, tools).
pub fn uncached_prompt_blocks(conv: &Conversation) -> Vec<PromptBlock> {
    let mut b = PromptBuilder::new();
    for t in &conv.tools {
        b.tool(t);
    }
    for s in &conv.system {
        b.system(s);
    }
    for m in &conv.messages {
        for block in &m.content {
            b.block(m.role, block);
        }
    }
    b.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_started_groups_of_four_chars() {
        assert_eq!(count_tokens(""), 0);
        assert_eq!(count_tokens("abc"), 1);
        assert_eq!(count_tokens("abcd"), 1);
        assert_eq!(count_tokens("abcde"), 2);
        assert_eq!(count_tokens("éééé"), 1);
    }

    #[test]
    fn fingerprints_chain_over_the_prefix() {
        let mut a = PromptBuilder::new();
        a.system("one").system("two");
        let mut b = PromptBuilder::new();
        b.system("one").system("three");
        let (a, b) = (a.finish(), b.finish());
        assert_eq!(a[0].fingerprint, b[0].fingerprint);
        assert_ne!(a[1].fingerprint, b[1].fingerprint);
        let mut c = PromptBuilder::new();
        c.system("two");
        assert_ne!(c.finish()[0].fingerprint, a[1].fingerprint);
    }

    #[test]
    fn cache_point_marks_the_last_block() {
        let mut b = PromptBuilder::new();
        b.cache_point(CacheTtl::OneHour);
        b.system("x").cache_point(CacheTtl::OneHour).system("y");
        let blocks = b.finish();
        assert_eq!(blocks[0].cache_point, Some(CacheTtl::OneHour));
        assert_eq!(blocks[1].cache_point, None);
    }
}
