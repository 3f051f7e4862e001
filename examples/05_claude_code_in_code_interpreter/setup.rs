//! `setup`: the IAM execution role and the custom code interpreter, created or
//! reused (the Python set's setup_infrastructure.py).

use std::time::Duration;

use anyhow::bail;
use aws_sdk_bedrockagentcorecontrol::types::{
    CodeInterpreterNetworkConfiguration, CodeInterpreterNetworkMode, CodeInterpreterStatus,
    CodeInterpreterSummary, ResourceType,
};
use common::{Clients, Error};

use crate::output::{Output, Status};

pub const ROLE_NAME: &str = "CodeInterpreterClaudeCodeRole";
pub const POLICY_NAME: &str = "BedrockInvokeAccess";
pub const INTERPRETER_NAME: &str = "claudeCodePublic";

/// Lets AgentCore assume the role for the sandbox.
const TRUST_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"bedrock-agentcore.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// What Claude Code in the sandbox may do with the role: call models.
const BEDROCK_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["bedrock:InvokeModel","bedrock:InvokeModelWithResponseStream"],"Resource":"*"}]}"#;

/// True for the embedded emulator and for a standalone one on this machine,
/// where IAM changes are visible at once.
fn emulated(clients: &Clients) -> bool {
    let loopback = ["://127.0.0.1", "://localhost", "://[::1]"];
    clients.is_local()
        || (clients.sdk_config.endpoint_url())
            .is_some_and(|url| loopback.iter().any(|host| url.contains(host)))
}

/// Creates (or reuses) the role and the interpreter; returns the interpreter id.
/// `iam_wait_secs` defaults to 10 against AWS and 0 against an emulator.
pub async fn setup(
    clients: &Clients, iam_wait_secs: Option<u64>, out: &mut Output,
) -> anyhow::Result<String> {
    out.say("=== Setup ===");
    // Step 1: the role AgentCore assumes for the sandbox, with Bedrock access.
    out.say(format!("Step 1: IAM role {ROLE_NAME}"));
    let created = clients
        .iam
        .create_role()
        .role_name(ROLE_NAME)
        .assume_role_policy_document(TRUST_POLICY)
        .description("Execution role of the claudeCodePublic code interpreter")
        .send()
        .await;
    let (role, is_new) = match created {
        Ok(created) => (created.role().cloned(), true),
        Err(err)
            if err.as_service_error().is_some_and(|e| e.is_entity_already_exists_exception()) =>
        {
            let existing = (clients.iam.get_role().role_name(ROLE_NAME).send().await)
                .map_err(|err| Error::sdk("GetRole", err))?;
            (existing.role().cloned(), false)
        }
        Err(err) => return Err(Error::sdk("CreateRole", err).into()),
    };
    let Some(role_arn) = role.map(|role| role.arn().to_owned()) else {
        bail!("IAM returned no role for {ROLE_NAME}");
    };
    let verb = if is_new { "Created role" } else { "Role already exists, reusing" };
    out.step("role", Status::Ok, format!("  {verb}: {role_arn}"));
    // Put every time: it is idempotent and repairs a half-finished earlier setup.
    (clients.iam.put_role_policy())
        .role_name(ROLE_NAME)
        .policy_name(POLICY_NAME)
        .policy_document(BEDROCK_POLICY)
        .send()
        .await
        .map_err(|err| Error::sdk("PutRolePolicy", err))?;
    let allowed = "bedrock:InvokeModel, bedrock:InvokeModelWithResponseStream";
    out.step("policy", Status::Ok, format!("  Inline policy {POLICY_NAME}: {allowed}"));

    // Step 2: IAM is eventually consistent; AgentCore may not see a new role at once.
    let wait = iam_wait_secs.unwrap_or(if emulated(clients) { 0 } else { 10 });
    match (is_new, wait) {
        (false, _) => out.say("Step 2: no wait for IAM propagation (the role already existed)"),
        (true, 0) => {
            out.say("Step 2: no wait for IAM propagation (an emulator applies it at once)")
        }
        (true, _) => {
            out.say(format!("Step 2: waiting {wait} s for the role to propagate"));
            tokio::time::sleep(Duration::from_secs(wait)).await;
        }
    }

    // Step 3: the custom interpreter, PUBLIC so the sandbox can download Node.js.
    out.say(format!("Step 3: code interpreter {INTERPRETER_NAME} (network mode PUBLIC)"));
    let id = match reusable_interpreter(clients, out).await? {
        Some(id) => id,
        None => {
            let network = CodeInterpreterNetworkConfiguration::builder()
                .network_mode(CodeInterpreterNetworkMode::Public)
                .build();
            let created = (clients.control.create_code_interpreter())
                .name(INTERPRETER_NAME)
                .description("Claude Code sandbox with internet access")
                .execution_role_arn(&role_arn)
                .network_configuration(network)
                .send()
                .await
                .map_err(|err| Error::sdk("CreateCodeInterpreter", err))?;
            let id = created.code_interpreter_id().to_owned();
            out.say(format!("  Created code interpreter {id}; waiting until it is READY"));
            wait_until_ready(clients, &id).await?;
            out.step("code_interpreter", Status::Ok, format!("  Created code interpreter: {id}"));
            id
        }
    };
    out.report = std::mem::take(&mut out.report)
        .with("code_interpreter_id", id.clone())
        .with("role_arn", role_arn);
    out.say(format!("Code interpreter ID: {id}"));
    if !clients.is_local() {
        let example = "05_claude_code_in_code_interpreter";
        out.say(format!("Next: cargo run --example {example} -- run {id} \"<your prompt>\""));
    }
    Ok(id)
}

/// The `claudeCodePublic*` interpreters that are not being deleted, every page.
pub async fn live_interpreters(clients: &Clients) -> anyhow::Result<Vec<CodeInterpreterSummary>> {
    let mut found = named_interpreters(clients).await?;
    found.retain(|summary| summary.status() != &CodeInterpreterStatus::Deleting);
    Ok(found)
}

/// Every `claudeCodePublic*` interpreter that still exists, every page.
async fn named_interpreters(clients: &Clients) -> anyhow::Result<Vec<CodeInterpreterSummary>> {
    let mut pages = (clients.control.list_code_interpreters())
        .r#type(ResourceType::Custom)
        .into_paginator()
        .items()
        .send();
    let mut found = Vec::new();
    while let Some(summary) = pages.next().await {
        let summary = summary.map_err(|err| Error::sdk("ListCodeInterpreters", err))?;
        let gone = summary.status() == &CodeInterpreterStatus::Deleted;
        if !gone && summary.name().is_some_and(|n| n.starts_with(INTERPRETER_NAME)) {
            found.push(summary);
        }
    }
    Ok(found)
}

/// An existing `claudeCodePublic*` interpreter to use: a READY one is reused, a
/// CREATING one is waited for, and a failed one (CREATE_FAILED, DELETE_FAILED, ...)
/// is deleted so that a new one can take its name. `None`: create one.
async fn reusable_interpreter(
    clients: &Clients, out: &mut Output,
) -> anyhow::Result<Option<String>> {
    for summary in named_interpreters(clients).await? {
        let id = summary.code_interpreter_id().to_owned();
        match summary.status() {
            CodeInterpreterStatus::Ready => {}
            CodeInterpreterStatus::Deleting => {
                out.say(format!("  Code interpreter {id} is DELETING; waiting until it is gone"));
                wait_until_gone(clients, &id).await?;
                continue;
            }
            CodeInterpreterStatus::Creating => {
                out.say(format!("  Code interpreter {id} is CREATING; waiting until it is READY"));
                wait_until_ready(clients, &id).await?;
            }
            other => {
                out.say(format!(
                    "  Code interpreter {id} is {}; deleting it and creating a new one",
                    other.as_str()
                ));
                delete_and_wait(clients, &id).await?;
                continue;
            }
        }
        out.step(
            "code_interpreter",
            Status::Ok,
            format!("  Code interpreter already exists, reusing: {id}"),
        );
        return Ok(Some(id));
    }
    Ok(None)
}

/// Deletes an interpreter and waits until it is gone.
async fn delete_and_wait(clients: &Clients, id: &str) -> anyhow::Result<()> {
    (clients.control.delete_code_interpreter())
        .code_interpreter_id(id)
        .send()
        .await
        .map_err(|err| Error::sdk("DeleteCodeInterpreter", err))?;
    wait_until_gone(clients, id).await
}

/// Waits while an interpreter is DELETING, until GetCodeInterpreter says not found.
pub async fn wait_until_gone(clients: &Clients, id: &str) -> anyhow::Result<()> {
    for _ in 0..POLLS {
        let got = (clients.control.get_code_interpreter()).code_interpreter_id(id).send().await;
        match got {
            Err(err)
                if err.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                return Ok(());
            }
            Err(err) => return Err(Error::sdk("GetCodeInterpreter", err).into()),
            Ok(got) if got.status() == &CodeInterpreterStatus::DeleteFailed => {
                bail!(
                    "deleting code interpreter {id} failed: {}",
                    got.failure_reason().unwrap_or("no reason given")
                )
            }
            Ok(_) => tokio::time::sleep(POLL_EVERY).await,
        }
    }
    bail!("code interpreter {id} was still there after {} s", POLLS)
}

/// How often, and how many times, a CREATING or DELETING interpreter is polled.
const POLL_EVERY: Duration = Duration::from_secs(1);
const POLLS: u32 = 180;

/// AgentCore answers CREATING; sessions can start once it is READY.
async fn wait_until_ready(clients: &Clients, id: &str) -> anyhow::Result<()> {
    for _ in 0..POLLS {
        let got = (clients.control.get_code_interpreter())
            .code_interpreter_id(id)
            .send()
            .await
            .map_err(|err| Error::sdk("GetCodeInterpreter", err))?;
        match got.status() {
            CodeInterpreterStatus::Ready => return Ok(()),
            CodeInterpreterStatus::CreateFailed => {
                bail!(
                    "code interpreter {id} failed: {}",
                    got.failure_reason().unwrap_or("no reason given")
                )
            }
            _ => tokio::time::sleep(POLL_EVERY).await,
        }
    }
    bail!("code interpreter {id} was not READY after {POLLS} s")
}
