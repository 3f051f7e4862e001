//! Tests of the whole model: transcript selection, turns, captures, usage.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::*;
use messages::{BlockDelta, MessagesRequest, StreamEvent};

const P: &str = "Calculate the mean and standard deviation of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]";
const CITIES: &str = "Compare all 5 cities across weather, population, and cost of living. \
                      Which city has the best combination of warm weather, large metro area, and \
                      affordable rent? Rank them.";
const SONNET: &str = "us.anthropic.claude-sonnet-4-6";
const STATS_OUTPUT: &str = "Data: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nMean: 5.5\n\
                            Population Std Dev: 2.8723\nSample Std Dev: 3.0277\n";

fn service() -> ModelService {
    match ModelService::new(None) {
        Ok(s) => s,
        Err(e) => panic!("{e}: {:?}", std::error::Error::source(&e)),
    }
}

fn python_tool() -> ToolDef {
    ToolDef::custom(
        "execute_python",
        "Run Python in a secure sandbox",
        json!({"type": "object", "properties": {"code": {"type": "string"}}, "required": ["code"]}),
    )
}

fn conv(api: Api, question: &str, tools: Vec<ToolDef>) -> Conversation {
    Conversation {
        api,
        model_id: SONNET.into(),
        system: vec![],
        tools,
        messages: vec![Message::user(vec![Block::Text(question.into())])],
        prompt_blocks: vec![],
        max_tokens: Some(4096),
    }
}

fn respond(svc: &ModelService, c: &Conversation) -> Reply {
    match svc.respond(c) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    }
}

/// Appends the reply and answers every tool call with `output(name, input)`.
fn play(c: &mut Conversation, reply: &Reply, output: impl Fn(&str, &serde_json::Value) -> String) {
    c.messages.push(Message::assistant(reply.content.clone()));
    let results: Vec<Block> = reply
        .content
        .iter()
        .filter_map(|b| match b {
            Block::ToolUse { id, name, input } => Some(Block::ToolResult {
                tool_use_id: id.clone(),
                text: output(name, input),
                is_error: false,
            }),
            _ => None,
        })
        .collect();
    if !results.is_empty() {
        c.messages.push(Message::user(results));
    }
}

fn text_of(reply: &Reply) -> String {
    reply
        .content
        .iter()
        .filter_map(|b| match b {
            Block::Text(t) => Some(t.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn tool_calls(reply: &Reply) -> Vec<(&str, &str, &serde_json::Value)> {
    reply
        .content
        .iter()
        .filter_map(|b| match b {
            Block::ToolUse { id, name, input } => Some((id.as_str(), name.as_str(), input)),
            _ => None,
        })
        .collect()
}

#[test]
fn mean_std_round_trip_quotes_the_real_output() {
    let svc = service();
    for api in [Api::Converse, Api::InvokeModel] {
        let mut c = conv(api, P, vec![python_tool()]);
        let first = respond(&svc, &c);
        assert_eq!(first.stop_reason, StopReason::ToolUse);
        let calls = tool_calls(&first);
        assert_eq!(calls.len(), 1);
        let (id, name, input) = calls[0];
        assert_eq!(name, "execute_python");
        assert!(id.starts_with(api.tool_use_prefix()), "{id}");
        let code = input["code"].as_str().unwrap_or_default();
        assert!(code.contains("import numpy") && code.contains(":.4f"), "{code}");

        play(&mut c, &first, |_, _| STATS_OUTPUT.replace("5.5", "5.50001"));
        let second = respond(&svc, &c);
        assert_eq!(second.stop_reason, StopReason::EndTurn);
        let text = text_of(&second);
        assert!(text.contains("5.50001"), "{text}");
        assert!(text.contains("2.8723") && text.contains("3.0277"), "{text}");
        assert!(second.usage.input_tokens > first.usage.input_tokens);
        assert!(second.usage.output_tokens > 0);

        // Past the end of the transcript.
        play(&mut c, &second, |_, _| String::new());
        c.messages.push(Message::user(vec![Block::Text("And?".into())]));
        let third = respond(&svc, &c);
        assert!(text_of(&third).contains("have all been played"));
    }
}

#[test]
fn broken_sandbox_shows_in_the_answer() {
    let svc = service();
    let mut c = conv(Api::Converse, P, vec![python_tool()]);
    let first = respond(&svc, &c);
    c.messages.push(Message::assistant(first.content.clone()));
    let id = tool_calls(&first)[0].0.to_owned();
    c.messages.push(Message::user(vec![Block::ToolResult {
        tool_use_id: id,
        text: "ModuleNotFoundError: No module named 'numpy'".into(),
        is_error: true,
    }]));
    let text = text_of(&respond(&svc, &c));
    assert!(text.contains("[could not find `mean` in the tool output"), "{text}");
    assert!(text.contains("No module named 'numpy'"), "{text}");
    assert!(!text.contains("5.5"), "{text}");
}

#[test]
fn agent_system_prompt_selects_the_agent_transcript() {
    let svc = service();
    let mut c = conv(Api::Converse, P, vec![python_tool()]);
    c.system = vec!["You are a careful assistant. Verify every answer by running code.".into()];
    let first = respond(&svc, &c);
    assert!(text_of(&first).contains("verify"), "{}", text_of(&first));
}

#[test]
fn the_bridges_code_execution_tools_pick_their_transcript() {
    let svc = service();
    let tool = |name: &str| ToolDef {
        name: name.into(),
        description: String::new(),
        input_schema: json!({"type": "object"}),
        kind: None,
    };
    let tools = vec![tool("bash_code_execution"), tool("text_editor_code_execution")];
    let mut c = conv(Api::InvokeModel, P, tools);
    let r1 = respond(&svc, &c);
    let calls = tool_calls(&r1);
    assert_eq!(calls[0].1, "text_editor_code_execution");
    assert!(calls[0].0.starts_with("toolu_01"), "{}", calls[0].0);
    assert_eq!(calls[0].2["command"], "create");
    play(&mut c, &r1, |_, _| "File created".into());
    let r2 = respond(&svc, &c);
    assert_eq!(tool_calls(&r2)[0].1, "bash_code_execution");
    play(&mut c, &r2, |_, _| STATS_OUTPUT.into());
    let r3 = respond(&svc, &c);
    assert_eq!(r3.stop_reason, StopReason::EndTurn);
    assert!(text_of(&r3).contains("Mean:** 5.5"), "{}", text_of(&r3));

    let c = conv(Api::InvokeModel, P, vec![tool("code_execution")]);
    let r1 = respond(&svc, &c);
    assert_eq!(tool_calls(&r1)[0].1, "code_execution");
    assert!(tool_calls(&r1)[0].2["code"].is_string());
}

#[test]
fn caching_questions_each_call_once() {
    let svc = service();
    for (q, out, want) in [
        ("Calculate the mean of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]", "Mean: 5.5", "5.5"),
        (
            "Calculate the standard deviation of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]",
            "Population Std Dev: 2.8723\nSample Std Dev: 3.0277",
            "3.0277",
        ),
        (
            "Calculate the median and mode of [1, 2, 2, 3, 4, 5, 5, 5, 9, 10]",
            "Median: 4.5\nMode: 5 (appears 3 times)",
            "**Mode:** 5, which appears 3 times",
        ),
    ] {
        let mut c = conv(Api::InvokeModel, q, vec![python_tool()]);
        let r1 = respond(&svc, &c);
        assert_eq!(tool_calls(&r1).len(), 1);
        play(&mut c, &r1, |_, _| out.into());
        let text = text_of(&respond(&svc, &c));
        assert!(text.contains(want), "{text}");
    }
}

fn city_data(name: &str, input: &serde_json::Value) -> String {
    let city = input["city"].as_str().unwrap_or_default();
    let row = match city {
        "Seattle" => (58, 4018762, 2100),
        "Portland" => (62, 2512859, 1650),
        "San Francisco" => (65, 4749008, 2800),
        "Los Angeles" => (78, 13200998, 2400),
        "Denver" => (72, 2963821, 1700),
        _ => return format!("{{\"error\": \"No data for {city}\"}}"),
    };
    match name {
        "get_weather" => {
            json!({"temp_f": row.0, "humidity_pct": 50, "condition": "Sunny", "wind_mph": 5})
        }
        "get_population" => json!({"population": 1, "metro_population": row.1, "state": "XX"}),
        _ => json!({"index": 100, "median_rent_1br": row.2, "median_home_price": 1}),
    }
    .to_string()
}

#[test]
fn cities_traditional_takes_four_round_trips() {
    let svc = service();
    let tools = ["get_weather", "get_population", "get_cost_of_living"]
        .into_iter()
        .map(|n| ToolDef::custom(n, "", json!({"type": "object"})))
        .collect();
    let mut c = conv(Api::Converse, CITIES, tools);
    for want in ["get_weather", "get_population", "get_cost_of_living"] {
        let r = respond(&svc, &c);
        let calls = tool_calls(&r);
        assert_eq!(calls.len(), 5);
        assert!(calls.iter().all(|(_, n, _)| *n == want));
        let mut ids: Vec<_> = calls.iter().map(|(id, ..)| *id).collect();
        ids.dedup();
        assert_eq!(ids.len(), 5, "ids must differ");
        play(&mut c, &r, city_data);
    }
    let last = respond(&svc, &c);
    let text = text_of(&last);
    assert!(!text.contains("could not find"), "{text}");
    assert!(text.contains("| Los Angeles | 78°F | 13200998 | $2400 |"), "{text}");
    assert!(text.contains("Denver**: warm (72°F) with low rent ($1700)"), "{text}");
}

#[test]
fn cities_programmatic_quotes_the_ranking() {
    let svc = service();
    let mut c = conv(Api::Converse, CITIES, vec![python_tool()]);
    let r = respond(&svc, &c);
    let code = tool_calls(&r)[0].2["code"].as_str().unwrap_or_default().to_owned();
    assert!(code.contains("get_cost_of_living(city)"), "{code}");
    play(&mut c, &r, |_, _| {
        "City             Temp  Condition        Metro pop  Rent 1BR  Score\n\
         Los Angeles       78F  Sunny           13,200,998    $2,400   0.78\n\
         Denver            72F  Clear            2,963,821    $1,700   0.57\n\n\
         Rank 1: Los Angeles (score 0.78)\nRank 2: Denver (score 0.57)\n\
         Rank 3: Portland (score 0.40)\nRank 4: Seattle (score 0.25)\n\
         Rank 5: San Francisco (score 0.19)\n"
            .into()
    });
    let text = text_of(&respond(&svc, &c));
    assert!(text.contains("1. Los Angeles (score 0.78)"), "{text}");
    assert!(text.contains("**Los Angeles** has the best"), "{text}");
    assert!(text.contains("Score\nLos Angeles       78F"), "{text}");
    assert!(!text.contains("could not find"), "{text}");
}

#[test]
fn unknown_conversation_explains_how_to_add_a_transcript() {
    let svc = service();
    let err = svc.respond(&conv(Api::Converse, "What is 2+2?", vec![]));
    let msg = match err {
        Err(ModelError::NoTranscript(nt)) => nt.to_string(),
        other => panic!("{other:?}"),
    };
    assert!(msg.contains("\"What is 2+2?\""), "{msg}");
    assert!(msg.contains("--transcripts DIR") && msg.contains(TRANSCRIPTS_ENV), "{msg}");
    // P without the tool matches nothing either (the transcripts require it).
    assert!(svc.respond(&conv(Api::Converse, P, vec![])).is_err());
}

#[test]
fn user_transcripts_are_loaded_and_win_ties() {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    let file = "name = \"mine\"\n[match]\nfirst_user_message = \"Calculate the mean and standard deviation of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\"\ntools = [\"execute_python\"]\n[[turns]]\ntext = \"user transcript\"\n";
    if let Err(e) = std::fs::write(dir.path().join("mine.toml"), file) {
        panic!("{e}");
    }
    let svc = match ModelService::new(Some(dir.path())) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    assert!(svc.transcripts.iter().any(|t| t.name == "mine"));
    let r = respond(&svc, &conv(Api::Converse, P, vec![python_tool()]));
    assert_eq!(text_of(&r), "user transcript");
    assert_eq!(r.stop_reason, StopReason::EndTurn);

    let missing = ModelService::new(Some(&dir.path().join("nope")));
    assert!(matches!(missing, Err(ModelError::ReadDir { .. })));
}

#[test]
fn usage_and_caching_through_respond() {
    let clock = ManualClock::new();
    let svc = match ModelService::with_clock(None, Arc::new(clock.clone())) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let long_system: String = "You are an expert data analyst. ".repeat(200);
    let build = |q: &str| {
        let mut c = conv(Api::InvokeModel, q, vec![python_tool()]);
        c.system = vec![long_system.clone()];
        let mut b = PromptBuilder::new();
        b.tool(&c.tools[0]).cache_point(CacheTtl::FiveMinutes);
        b.system(&c.system[0]).cache_point(CacheTtl::FiveMinutes);
        b.block(Role::User, &c.messages[0].content[0]);
        c.prompt_blocks = b.finish();
        c
    };
    let q1 = build("Calculate the mean of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]");
    let u1 = respond(&svc, &q1).usage;
    assert!(u1.cache_write_input_tokens > 1024, "{u1:?}");
    assert_eq!(u1.cache_write_5m, u1.cache_write_input_tokens);
    assert_eq!(u1.cache_read_input_tokens, 0);
    let total: u32 = q1.prompt_blocks.iter().map(|b| b.tokens).sum();
    assert_eq!(u1.total_input_tokens(), total);

    let q2 = build("Calculate the standard deviation of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]");
    let u2 = respond(&svc, &q2).usage;
    assert_eq!(u2.cache_read_input_tokens, u1.cache_write_input_tokens);
    assert_eq!(u2.cache_write_input_tokens, 0);

    clock.advance(Duration::from_secs(6 * 60));
    let u3 = respond(&svc, &q2).usage;
    assert_eq!(u3.cache_read_input_tokens, 0);
    assert_eq!(u3.cache_write_input_tokens, u1.cache_write_input_tokens);
}

#[test]
fn max_tokens_truncates() {
    let svc = service();
    let mut c = conv(Api::Converse, P, vec![python_tool()]);
    c.max_tokens = Some(5);
    let r = respond(&svc, &c);
    assert_eq!(r.stop_reason, StopReason::MaxTokens);
    assert_eq!(r.usage.output_tokens, 5);
    assert!(tool_calls(&r).is_empty());
    assert_eq!(text_of(&r).chars().count(), 20);
}

#[test]
fn anthropic_request_converts_with_cache_points() {
    let body = json!({
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 100,
        "system": [{"type": "text", "text": "sys", "cache_control": {"type": "ephemeral", "ttl": "1h"}}],
        "tools": [{"name": "execute_python", "description": "d", "input_schema": {"type": "object"},
                   "cache_control": {"type": "ephemeral"}}],
        "messages": [
            {"role": "user", "content": P},
            {"role": "assistant", "content": [{"type": "text", "text": "ok"},
                {"type": "tool_use", "id": "toolu_1", "name": "execute_python", "input": {"code": "1"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1",
                "content": [{"type": "text", "text": "Mean: 5.5"}], "is_error": false},
                {"type": "image", "source": {}}]}
        ]
    });
    let req: MessagesRequest = match serde_json::from_value(body) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    let c = match to_conversation(&req, Api::InvokeModel, SONNET) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(c.prompt_blocks.len(), 1 + 1 + 1 + 2 + 1);
    assert_eq!(c.prompt_blocks[0].cache_point, Some(CacheTtl::FiveMinutes));
    assert_eq!(c.prompt_blocks[1].cache_point, Some(CacheTtl::OneHour));
    assert_eq!(c.assistant_turns(), 1);
    assert!(
        matches!(&c.messages[2].content[0], Block::ToolResult { text, .. } if text == "Mean: 5.5")
    );

    let bad: MessagesRequest = match serde_json::from_value(json!({"max_tokens": 1, "messages": [
        {"role": "user", "content": [{"type": "text", "text": "x", "cache_control": {"type": "ephemeral", "ttl": "2h"}}]}
    ]})) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    let err = to_conversation(&bad, Api::InvokeModel, SONNET).map(|_| ());
    assert!(
        matches!(&err, Err(ModelError::InvalidRequest { reason }) if reason.contains("messages[0].content[0].cache_control.ttl")),
        "{err:?}"
    );
}

#[test]
fn anthropic_stream_events_rebuild_the_message() {
    let reply = Reply {
        content: vec![
            Block::Text("Hello there, world".into()),
            Block::ToolUse {
                id: "toolu_01abc".into(),
                name: "execute_python".into(),
                input: json!({"code": "print(1)"}),
            },
        ],
        stop_reason: StopReason::ToolUse,
        usage: Usage { input_tokens: 10, output_tokens: 7, ..Usage::default() },
    };
    let msg = response_for(&reply, SONNET, "msg_1".into());
    let events = stream_events(&msg);
    let mut text = String::new();
    let mut json_input = String::new();
    for e in &events {
        if let StreamEvent::ContentBlockDelta { delta, .. } = e {
            match delta {
                BlockDelta::TextDelta { text: t } => text.push_str(t),
                BlockDelta::InputJsonDelta { partial_json } => json_input.push_str(partial_json),
            }
        }
    }
    assert_eq!(text, "Hello there, world");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&json_input).ok(),
        Some(json!({"code": "print(1)"}))
    );
    assert_eq!(events.first().map(StreamEvent::name), Some("message_start"));
    assert_eq!(events.last().map(StreamEvent::name), Some("message_stop"));
    let v = serde_json::to_value(&msg).unwrap_or_default();
    assert_eq!(v["usage"]["cache_creation"]["ephemeral_5m_input_tokens"], 0);
    assert_eq!(v["content"][1]["type"], "tool_use");
}
