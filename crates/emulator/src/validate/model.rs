//! The AWS service models (botocore's JSON form), as the validator reads them.
//!
//! The files in `crates/emulator/service-models/` are written by
//! `scripts/refresh-service-models.py` from the models that ship with botocore:
//! the operations the emulator serves and the shapes they reach, nothing else.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use regex::Regex;
use serde::Deserialize;

/// One service's model.
#[derive(Debug, Deserialize)]
pub(crate) struct ServiceModel {
    pub operations: BTreeMap<String, Operation>,
    pub shapes: HashMap<String, Shape>,
    /// Compiled `pattern` constraints, by pattern text.
    #[serde(skip)]
    pub patterns: HashMap<String, Regex>,
}

/// An operation: its HTTP binding and its input shape.
#[derive(Debug, Deserialize)]
pub(crate) struct Operation {
    pub http: Http,
    pub input: ShapeRef,
}

/// Method and URI template (`/model/{modelId}/converse`).
#[derive(Debug, Deserialize)]
pub(crate) struct Http {
    #[allow(dead_code, reason = "read by the unit tests of the model, kept for the binding")]
    pub method: String,
    #[serde(rename = "requestUri")]
    pub request_uri: String,
}

/// A reference to a shape, with where a member travels (`uri`, `header`,
/// `querystring`; none: the JSON body).
#[derive(Debug, Deserialize)]
pub(crate) struct ShapeRef {
    pub shape: String,
    pub location: Option<String>,
    #[serde(rename = "locationName")]
    pub location_name: Option<String>,
}

/// A shape and its constraints.
#[derive(Debug, Deserialize)]
pub(crate) struct Shape {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub required: Vec<String>,
    #[serde(default)]
    pub members: BTreeMap<String, ShapeRef>,
    pub member: Option<ShapeRef>,
    pub key: Option<ShapeRef>,
    pub value: Option<ShapeRef>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub pattern: Option<String>,
    #[serde(rename = "enum")]
    pub enum_values: Option<Vec<String>>,
    /// The member that is the whole HTTP body (InvokeModel's `body`).
    pub payload: Option<String>,
}

impl ServiceModel {
    fn parse(text: &str) -> Result<Self, serde_json::Error> {
        let mut model: Self = serde_json::from_str(text)?;
        for shape in model.shapes.values() {
            if let Some(pattern) = &shape.pattern {
                // botocore's models drop the `^...$` of the services' own patterns,
                // which the services apply to the whole value.
                match Regex::new(&format!("^(?:{pattern})$")) {
                    Ok(regex) => {
                        model.patterns.insert(pattern.clone(), regex);
                    }
                    Err(err) => {
                        tracing::warn!(pattern, %err, "a model pattern does not compile; not checked")
                    }
                }
            }
        }
        Ok(model)
    }
}

/// The models of the REST-JSON services the emulator serves.
const SOURCES: [(&str, &str); 3] = [
    ("bedrock-agentcore", include_str!("../../service-models/bedrock-agentcore.json")),
    (
        "bedrock-agentcore-control",
        include_str!("../../service-models/bedrock-agentcore-control.json"),
    ),
    ("bedrock-runtime", include_str!("../../service-models/bedrock-runtime.json")),
];

/// Every model, parsed once.
pub(crate) fn models() -> &'static [ServiceModel] {
    static MODELS: OnceLock<Vec<ServiceModel>> = OnceLock::new();
    MODELS.get_or_init(|| {
        SOURCES
            .iter()
            .filter_map(|(name, text)| match ServiceModel::parse(text) {
                Ok(model) => Some(model),
                Err(err) => {
                    tracing::error!(service = name, %err, "the vendored service model does not parse");
                    None
                }
            })
            .collect()
    })
}

/// The model and operation for an operation name.
pub(crate) fn find(operation: &str) -> Option<(&'static ServiceModel, &'static Operation)> {
    models().iter().find_map(|model| model.operations.get(operation).map(|op| (model, op)))
}
