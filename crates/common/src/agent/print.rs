//! How an example prints what an agent does.

use super::AgentEvent;
use crate::printer::Printer;

impl AgentEvent<'_> {
    /// Prints the event as Strands does: the streamed text, and a line of its own
    /// for the session start and each tool call.
    pub fn print(&self, out: &Printer) {
        match self {
            AgentEvent::Text(piece) => out.stream(piece),
            AgentEvent::SessionStarted { session_id } => {
                out.line(format_args!("[Session started: {session_id}]"));
            }
            AgentEvent::ToolCall { number, name, .. } => {
                out.line(format_args!("[Tool #{number}: {name}]"));
            }
            AgentEvent::ToolResult { .. } => {}
        }
    }
}
