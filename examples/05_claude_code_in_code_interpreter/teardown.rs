//! `teardown`: deletes what `setup` made. What is already gone is reported and
//! skipped, so running it twice is fine.

use common::{Clients, Error};

use crate::output::{Output, Status};
use crate::setup::{INTERPRETER_NAME, POLICY_NAME, ROLE_NAME, live_interpreters, wait_until_gone};

/// Deletes the interpreter `id` (default: every `claudeCodePublic*` one), then
/// the role's inline policy, then the role.
pub async fn teardown(clients: &Clients, id: Option<&str>, out: &mut Output) -> anyhow::Result<()> {
    out.say("=== Teardown ===");
    // Step 1: the interpreter first; its sessions end with it.
    let ids = match id {
        Some(id) => vec![id.to_owned()],
        None => live_interpreters(clients)
            .await?
            .iter()
            .map(|s| s.code_interpreter_id().to_owned())
            .collect(),
    };
    if ids.is_empty() {
        let line = format!("  Code interpreter {INTERPRETER_NAME}*: already gone");
        out.step("delete_code_interpreter", Status::Ok, line);
    }
    for id in ids {
        let deleted =
            clients.control.delete_code_interpreter().code_interpreter_id(&id).send().await;
        let line = match deleted {
            Ok(_) => {
                // DELETING first; the name is free again only once it is gone.
                wait_until_gone(clients, &id).await?;
                format!("  Deleted code interpreter: {id}")
            }
            Err(err)
                if err.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                format!("  Code interpreter {id}: already gone")
            }
            Err(err) => return Err(Error::sdk("DeleteCodeInterpreter", err).into()),
        };
        out.step("delete_code_interpreter", Status::Ok, line);
    }

    // Step 2: the inline policy; IAM refuses to delete a role that still has one.
    let deleted = (clients.iam.delete_role_policy())
        .role_name(ROLE_NAME)
        .policy_name(POLICY_NAME)
        .send()
        .await;
    let line = match deleted {
        Ok(_) => format!("  Deleted inline policy {POLICY_NAME}"),
        Err(err) if err.as_service_error().is_some_and(|e| e.is_no_such_entity_exception()) => {
            format!("  Inline policy {POLICY_NAME}: already gone")
        }
        Err(err) => return Err(Error::sdk("DeleteRolePolicy", err).into()),
    };
    out.step("delete_role_policy", Status::Ok, line);

    // Step 3: the role.
    let line = match clients.iam.delete_role().role_name(ROLE_NAME).send().await {
        Ok(_) => format!("  Deleted role {ROLE_NAME}"),
        Err(err) if err.as_service_error().is_some_and(|e| e.is_no_such_entity_exception()) => {
            format!("  Role {ROLE_NAME}: already gone")
        }
        Err(err) => return Err(Error::sdk("DeleteRole", err).into()),
    };
    out.step("delete_role", Status::Ok, line);
    Ok(())
}
