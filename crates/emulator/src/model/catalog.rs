//! The model ids the emulator answers, and how Bedrock refuses the others.
//!
//! Bedrock checks the model before anything else. It answers an id it does not
//! know with 400 `ValidationException` ("The provided model identifier is
//! invalid."), a retired model with 404
//! `ResourceNotFoundException` ("This model version has reached the end of its
//! life..."), and a model that is only served through an inference profile, called
//! by its bare id, with 400 `ValidationException` ("Invocation of model ID ... with
//! on-demand throughput isn't supported..."). docs/FIDELITY.md gives the sources.
//!
//! To let the emulator answer another model, add it to [`MODELS`].

/// One Claude model as the two services name it.
struct Model {
    /// The Bedrock base model id.
    bedrock: &'static str,
    /// Past its end of life on the services.
    retired: bool,
}

/// The models the emulator knows, newest first.
const MODELS: &[Model] = &[
    Model { bedrock: "anthropic.claude-sonnet-4-6", retired: false },
    Model { bedrock: "anthropic.claude-opus-4-5-20251101-v1:0", retired: false },
    Model { bedrock: "anthropic.claude-haiku-4-5-20251001-v1:0", retired: false },
    Model { bedrock: "anthropic.claude-sonnet-4-5-20250929-v1:0", retired: true },
    Model { bedrock: "anthropic.claude-opus-4-1-20250805-v1:0", retired: true },
    Model { bedrock: "anthropic.claude-sonnet-4-20250514-v1:0", retired: true },
    Model { bedrock: "anthropic.claude-opus-4-20250514-v1:0", retired: true },
    Model { bedrock: "anthropic.claude-3-7-sonnet-20250219-v1:0", retired: true },
    Model { bedrock: "anthropic.claude-3-5-haiku-20241022-v1:0", retired: true },
];

/// Prefixes of Bedrock's cross-region inference profiles.
const PROFILE_PREFIXES: [&str; 6] = ["global.", "us.", "eu.", "apac.", "jp.", "au."];

/// Why a service refuses a model id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Bedrock: 400 `ValidationException`.
    Invalid(String),
    /// Bedrock: 404 `ResourceNotFoundException`.
    NotFound(String),
}

/// Checks a Bedrock `modelId` path parameter: an inference profile id or ARN, or a
/// base model id or ARN.
pub fn check_bedrock(model_id: &str) -> Result<(), Refusal> {
    let invalid = || Refusal::Invalid("The provided model identifier is invalid.".to_owned());
    let (id, arn_kind) = match model_id.strip_prefix("arn:") {
        Some(arn) => {
            // arn:aws:bedrock:REGION:ACCOUNT:KIND/ID
            let resource = arn.splitn(5, ':').nth(4).ok_or_else(invalid)?;
            let (kind, id) = resource.split_once('/').ok_or_else(invalid)?;
            if kind == "application-inference-profile" {
                // An account's own profile: its id says nothing of the model.
                return Ok(());
            }
            (id, Some(kind))
        }
        None => (model_id, None),
    };
    let profile = PROFILE_PREFIXES.iter().find_map(|prefix| id.strip_prefix(prefix));
    let base = profile.unwrap_or(id);
    live_model(base)?;
    let through_profile =
        profile.is_some() && arn_kind.is_none_or(|kind| kind == "inference-profile");
    if !through_profile {
        return Err(Refusal::Invalid(format!(
            "Invocation of model ID {base} with on-demand throughput isn\u{2019}t supported. Retry \
             your request with the ID or ARN of an inference profile that contains this model."
        )));
    }
    Ok(())
}

/// Checks CountTokens' `modelId`, a `FoundationModelVersionIdentifier` in the
/// service model: a base model id or its ARN, not an inference profile.
pub fn check_count_tokens(model_id: &str) -> Result<(), Refusal> {
    let invalid = || Refusal::Invalid("The provided model identifier is invalid.".to_owned());
    let id = match model_id.strip_prefix("arn:") {
        Some(arn) => {
            let resource = arn.splitn(5, ':').nth(4).ok_or_else(invalid)?;
            resource.strip_prefix("foundation-model/").ok_or_else(invalid)?
        }
        None => model_id,
    };
    live_model(id).map(|_| ())
}

/// The catalogue's model with this Bedrock id: unknown is invalid, retired is not found.
fn live_model(id: &str) -> Result<&'static Model, Refusal> {
    let model = MODELS
        .iter()
        .find(|model| model.bedrock == id)
        .ok_or_else(|| Refusal::Invalid("The provided model identifier is invalid.".to_owned()))?;
    if model.retired {
        return Err(Refusal::NotFound(
            "This model version has reached the end of its life. Please refer to the AWS \
             documentation for more details."
                .to_owned(),
        ));
    }
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_tokens_takes_base_model_ids() {
        assert_eq!(check_count_tokens("anthropic.claude-sonnet-4-6"), Ok(()));
        assert_eq!(
            check_count_tokens(
                "arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-sonnet-4-6"
            ),
            Ok(())
        );
        assert!(matches!(
            check_count_tokens("global.anthropic.claude-sonnet-4-6"),
            Err(Refusal::Invalid(_))
        ));
    }

    #[test]
    fn bedrock_ids() {
        assert_eq!(check_bedrock("global.anthropic.claude-sonnet-4-6"), Ok(()));
        assert_eq!(check_bedrock("us.anthropic.claude-sonnet-4-6"), Ok(()));
        assert_eq!(
            check_bedrock(
                "arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.anthropic.claude-sonnet-4-6"
            ),
            Ok(())
        );
        assert!(matches!(
            check_bedrock("us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
            Err(Refusal::NotFound(m)) if m.contains("end of its life")
        ));
        assert!(matches!(
            check_bedrock("anthropic.claude-sonnet-4-6"),
            Err(Refusal::Invalid(m)) if m.contains("on-demand throughput")
        ));
        assert!(matches!(
            check_bedrock("us.anthropic.claude-nonsense"),
            Err(Refusal::Invalid(m)) if m == "The provided model identifier is invalid."
        ));
    }
}
