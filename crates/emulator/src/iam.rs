//! IAM (roles and inline policies) and STS GetCallerIdentity, over the query
//! protocol: `POST /` with a form body, XML responses.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::auth::SignedService;
use crate::error::{IAM_XMLNS, QueryError, STS_XMLNS, new_request_id, xml_escape};
use crate::state::AppState;
use crate::store::iam::Role;

/// RFC 3986 unreserved characters stay; everything else is percent-encoded, as IAM
/// returns policy documents.
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

type Form = HashMap<String, String>;

fn required<'a>(form: &'a Form, key: &str) -> Result<&'a str, QueryError> {
    form.get(key)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            QueryError::new(
                StatusCode::BAD_REQUEST,
                "ValidationError",
                format!("1 validation error detected: Value null at '{key}' failed to satisfy constraint: Member must not be null"),
            )
        })
}

fn no_such_role(name: &str) -> QueryError {
    QueryError::new(
        StatusCode::NOT_FOUND,
        "NoSuchEntity",
        format!("The role with name {name} cannot be found."),
    )
}

fn xml_response(xmlns: &str, action: &str, result: Option<String>) -> Response {
    let result =
        result.map(|inner| format!("<{action}Result>{inner}</{action}Result>")).unwrap_or_default();
    let body = format!(
        "<{action}Response xmlns=\"{xmlns}\">{result}<ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{action}Response>",
        new_request_id()
    );
    ([(header::CONTENT_TYPE, "text/xml")], body).into_response()
}

fn role_xml(role: &Role) -> String {
    let mut xml = format!(
        "<Role><Path>{}</Path><RoleName>{}</RoleName><RoleId>{}</RoleId><Arn>{}</Arn><CreateDate>{}</CreateDate><AssumeRolePolicyDocument>{}</AssumeRolePolicyDocument><MaxSessionDuration>{}</MaxSessionDuration>",
        xml_escape(&role.path),
        xml_escape(&role.name),
        role.id,
        xml_escape(&role.arn),
        role.created_at
            .replace_nanosecond(0)
            .unwrap_or(role.created_at)
            .format(&Rfc3339)
            .unwrap_or_default(),
        utf8_percent_encode(&role.assume_role_policy, RFC3986),
        role.max_session_duration,
    );
    if let Some(description) = &role.description {
        xml.push_str(&format!("<Description>{}</Description>", xml_escape(description)));
    }
    xml.push_str("</Role>");
    xml
}

fn valid_role_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
}

fn check_policy_document(document: &str) -> Result<(), QueryError> {
    match serde_json::from_str::<serde_json::Value>(document) {
        Ok(value) if value.is_object() => Ok(()),
        _ => Err(QueryError::new(
            StatusCode::BAD_REQUEST,
            "MalformedPolicyDocument",
            "The policy document is not a JSON object",
        )),
    }
}

fn create_role(state: &AppState, form: &Form) -> Result<Response, QueryError> {
    let name = required(form, "RoleName")?;
    if !valid_role_name(name) {
        return Err(QueryError::new(
            StatusCode::BAD_REQUEST,
            "ValidationError",
            format!("RoleName '{name}' must match [\\w+=,.@-]{{1,64}}"),
        ));
    }
    let assume = required(form, "AssumeRolePolicyDocument")?;
    check_policy_document(assume)?;
    let path = form.get("Path").cloned().unwrap_or_else(|| "/".into());
    let max_session_duration =
        form.get("MaxSessionDuration").and_then(|v| v.parse().ok()).unwrap_or(3600);
    let mut roles = state.iam.lock();
    if roles.contains_key(name) {
        return Err(QueryError::new(
            StatusCode::CONFLICT,
            "EntityAlreadyExists",
            format!("Role with name {name} already exists."),
        ));
    }
    let role = Role {
        name: name.to_owned(),
        id: format!("AROA{}", crate::config::random_token(17).to_ascii_uppercase()),
        arn: format!("arn:aws:iam::{}:role{path}{name}", state.config.account_id),
        path,
        created_at: OffsetDateTime::now_utc(),
        assume_role_policy: assume.to_owned(),
        description: form.get("Description").cloned(),
        max_session_duration,
        policies: BTreeMap::new(),
    };
    let xml = role_xml(&role);
    roles.insert(name.to_owned(), role);
    tracing::info!(role = name, "IAM role created");
    Ok(xml_response(IAM_XMLNS, "CreateRole", Some(xml)))
}

fn get_role(state: &AppState, form: &Form) -> Result<Response, QueryError> {
    let name = required(form, "RoleName")?;
    let role = state.iam.role(name).ok_or_else(|| no_such_role(name))?;
    Ok(xml_response(IAM_XMLNS, "GetRole", Some(role_xml(&role))))
}

fn put_role_policy(state: &AppState, form: &Form) -> Result<Response, QueryError> {
    let name = required(form, "RoleName")?;
    let policy_name = required(form, "PolicyName")?;
    let document = required(form, "PolicyDocument")?;
    check_policy_document(document)?;
    let mut roles = state.iam.lock();
    let role = roles.get_mut(name).ok_or_else(|| no_such_role(name))?;
    role.policies.insert(policy_name.to_owned(), document.to_owned());
    Ok(xml_response(IAM_XMLNS, "PutRolePolicy", None))
}

fn get_role_policy(state: &AppState, form: &Form) -> Result<Response, QueryError> {
    let name = required(form, "RoleName")?;
    let policy_name = required(form, "PolicyName")?;
    let role = state.iam.role(name).ok_or_else(|| no_such_role(name))?;
    let document = role.policies.get(policy_name).ok_or_else(|| {
        QueryError::new(
            StatusCode::NOT_FOUND,
            "NoSuchEntity",
            format!("The role policy with name {policy_name} cannot be found."),
        )
    })?;
    let xml = format!(
        "<RoleName>{}</RoleName><PolicyName>{}</PolicyName><PolicyDocument>{}</PolicyDocument>",
        xml_escape(name),
        xml_escape(policy_name),
        utf8_percent_encode(document, RFC3986)
    );
    Ok(xml_response(IAM_XMLNS, "GetRolePolicy", Some(xml)))
}

fn list_role_policies(state: &AppState, form: &Form) -> Result<Response, QueryError> {
    let name = required(form, "RoleName")?;
    let role = state.iam.role(name).ok_or_else(|| no_such_role(name))?;
    let members: String =
        role.policies.keys().map(|p| format!("<member>{}</member>", xml_escape(p))).collect();
    let xml = format!("<PolicyNames>{members}</PolicyNames><IsTruncated>false</IsTruncated>");
    Ok(xml_response(IAM_XMLNS, "ListRolePolicies", Some(xml)))
}

fn delete_role_policy(state: &AppState, form: &Form) -> Result<Response, QueryError> {
    let name = required(form, "RoleName")?;
    let policy_name = required(form, "PolicyName")?;
    let mut roles = state.iam.lock();
    let role = roles.get_mut(name).ok_or_else(|| no_such_role(name))?;
    if role.policies.remove(policy_name).is_none() {
        return Err(QueryError::new(
            StatusCode::NOT_FOUND,
            "NoSuchEntity",
            format!("The role policy with name {policy_name} cannot be found."),
        ));
    }
    Ok(xml_response(IAM_XMLNS, "DeleteRolePolicy", None))
}

fn delete_role(state: &AppState, form: &Form) -> Result<Response, QueryError> {
    let name = required(form, "RoleName")?;
    let mut roles = state.iam.lock();
    let role = roles.get(name).ok_or_else(|| no_such_role(name))?;
    if !role.policies.is_empty() {
        return Err(QueryError::new(
            StatusCode::CONFLICT,
            "DeleteConflict",
            format!(
                "Cannot delete entity, must delete policies first. Role {name} still has inline policies."
            ),
        ));
    }
    roles.remove(name);
    tracing::info!(role = name, "IAM role deleted");
    Ok(xml_response(IAM_XMLNS, "DeleteRole", None))
}

fn get_caller_identity(state: &AppState) -> Response {
    let account = &state.config.account_id;
    let xml = format!(
        "<Arn>arn:aws:iam::{account}:user/emulator</Arn><UserId>AIDAEMULATORLOCALUSER</UserId><Account>{account}</Account>"
    );
    xml_response(STS_XMLNS, "GetCallerIdentity", Some(xml))
}

/// `POST /`: dispatches on the SigV4 service (IAM or STS) and the `Action` field.
pub async fn dispatch(
    State(state): State<Arc<AppState>>, service: Option<Extension<SignedService>>, body: Bytes,
) -> Response {
    let form: Form = url_form(&body);
    let action = form.get("Action").cloned().unwrap_or_default();
    let is_sts = match service {
        Some(Extension(SignedService(name))) => name == "sts",
        None => action == "GetCallerIdentity",
    };
    if is_sts {
        return match action.as_str() {
            "GetCallerIdentity" => get_caller_identity(&state),
            other => QueryError::new(
                StatusCode::BAD_REQUEST,
                "InvalidAction",
                format!(
                    "STS action '{other}' is not supported by the emulator (only GetCallerIdentity)"
                ),
            )
            .sts()
            .into_response(),
        };
    }
    let outcome = match action.as_str() {
        "CreateRole" => create_role(&state, &form),
        "GetRole" => get_role(&state, &form),
        "PutRolePolicy" => put_role_policy(&state, &form),
        "GetRolePolicy" => get_role_policy(&state, &form),
        "ListRolePolicies" => list_role_policies(&state, &form),
        "DeleteRolePolicy" => delete_role_policy(&state, &form),
        "DeleteRole" => delete_role(&state, &form),
        other => Err(QueryError::new(
            StatusCode::BAD_REQUEST,
            "InvalidAction",
            format!(
                "IAM action '{other}' is not supported by the emulator (CreateRole, GetRole, PutRolePolicy, GetRolePolicy, ListRolePolicies, DeleteRolePolicy, DeleteRole)"
            ),
        )),
    };
    outcome.unwrap_or_else(IntoResponse::into_response)
}

/// Decodes an `application/x-www-form-urlencoded` body.
fn url_form(body: &[u8]) -> Form {
    let text = String::from_utf8_lossy(body);
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_component(key), decode_component(value))
        })
        .collect()
}

fn decode_component(raw: &str) -> String {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_form_bodies() {
        let form =
            url_form(b"Action=CreateRole&RoleName=r1&AssumeRolePolicyDocument=%7B%22a%22%3A+1%7D");
        assert_eq!(form["Action"], "CreateRole");
        assert_eq!(form["AssumeRolePolicyDocument"], "{\"a\": 1}");
    }
}
