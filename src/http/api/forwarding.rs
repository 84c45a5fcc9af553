//! `/api/v1/extensions/{number}/forwarding`: an extension's forwarding, "I am
//! here", do not disturb, the MobilePhone fallbacks and the rules, through
//! the same service call as the forwarding page: the same checks (the
//! extension's restriction and the exchange's toll rules for every number it
//! would dial), and the core programmed before the call returns.

use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::door::{read, replace, ApiCall, Caller, Problem, Resource};
#[cfg(feature = "openapi")]
use super::schema;
use crate::domain::program::{
    ExtensionProgram, ForwardRule, RuleCalls, RulePresentation, RuleTarget, RuleWhen,
};
use crate::domain::settings::{RuleDraft, NO_ANSWER_SECS};
use crate::http::HttpState;
use crate::services::forwarding::ForwardingChange;

/// Where an extension's calls go.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Forwarding {
    /// Every call goes to this number; null for off.
    #[serde(default)]
    pub forward_always: Option<String>,
    /// When the line is busy.
    #[serde(default)]
    pub forward_busy: Option<String>,
    /// When nobody answers within `no_answer_secs`.
    #[serde(default)]
    pub forward_no_answer: Option<String>,
    /// When the phone is not reachable.
    #[serde(default)]
    pub forward_unreachable: Option<String>,
    /// Seconds of ringing before no-answer forwarding (5 to 120).
    #[cfg_attr(feature = "openapi", schema(example = 20, minimum = 5, maximum = 120))]
    pub no_answer_secs: u16,
    /// Unanswered calls go to voicemail when nothing else is set.
    pub voicemail: bool,
    /// "I am here": calls follow to this extension of the exchange; null for off.
    #[serde(default)]
    pub follow_me: Option<String>,
    /// Do not disturb with this announcement (one the exchange offers); null for off.
    #[serde(default)]
    pub dnd: Option<u16>,
    /// The MobilePhone rings when nobody answers (needs a MobilePhone number).
    pub mobile_on_no_answer: bool,
    pub mobile_on_dnd: bool,
    pub mobile_on_unreachable: bool,
    /// In their order: the first that matches a call decides.
    pub rules: Vec<Rule>,
}

/// A forwarding rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub active: bool,
    #[cfg_attr(feature = "openapi", schema(schema_with = schema::rule_when))]
    pub when: String,
    /// Which calls: `all`, `internal` or `external`.
    #[cfg_attr(feature = "openapi", schema(schema_with = schema::rule_calls))]
    pub calls: String,
    /// The caller's number: `any`, `presented` or `withheld`.
    #[cfg_attr(feature = "openapi", schema(schema_with = schema::rule_presentation))]
    pub presentation: String,
    /// Where the call goes: `number` (the `number`), `voicemail` or `fax_to_mail`.
    #[cfg_attr(feature = "openapi", schema(schema_with = schema::rule_kind))]
    pub kind: String,
    /// For `number`: the number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
}

impl Forwarding {
    /// What the document's schema says (the no-answer time's range, the
    /// rules' words), checked before anything else: the pointer names what is
    /// wrong. The rest is the forwarding service's to check.
    pub(super) fn check_form(&self, caller: &Caller) -> Result<(), Problem> {
        let invalid = |key: &str, at: String| {
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", caller.tr.t(key)).at(at)
        };
        if !NO_ANSWER_SECS.contains(&self.no_answer_secs) {
            return Err(invalid("forwarding.bad_secs", "/no_answer_secs".into()));
        }
        for (i, r) in self.rules.iter().enumerate() {
            let known = [
                ("when", RuleWhen::from_code(&r.when).is_some()),
                ("calls", RuleCalls::from_code(&r.calls).is_some()),
                ("presentation", RulePresentation::from_code(&r.presentation).is_some()),
                ("kind", RuleTarget::from_kind(&r.kind, Some(String::new())).is_some()),
            ];
            if let Some((field, _)) = known.iter().find(|(_, ok)| !ok) {
                return Err(invalid("forwarding.bad_rule", format!("/rules/{i}/{field}")));
            }
        }
        Ok(())
    }

    pub(super) fn of(p: &ExtensionProgram) -> Forwarding {
        Forwarding {
            forward_always: p.forward_always.clone(),
            forward_busy: p.forward_busy.clone(),
            forward_no_answer: p.forward_no_answer.clone(),
            forward_unreachable: p.forward_unreachable.clone(),
            no_answer_secs: p.no_answer_secs,
            voicemail: p.voicemail,
            follow_me: p.follow_me.clone(),
            dnd: p.dnd,
            mobile_on_no_answer: p.mobile_on_no_answer,
            mobile_on_dnd: p.mobile_on_dnd,
            mobile_on_unreachable: p.mobile_on_unreachable,
            rules: p.rules.iter().map(Rule::of).collect(),
        }
    }

    /// The page's change: what the forwarding service checks and saves.
    pub(super) fn into_change(self) -> ForwardingChange {
        let text = |n: Option<String>| n.unwrap_or_default();
        ForwardingChange {
            forward_always: text(self.forward_always),
            forward_busy: text(self.forward_busy),
            forward_no_answer: text(self.forward_no_answer),
            forward_unreachable: text(self.forward_unreachable),
            no_answer_secs: self.no_answer_secs.to_string(),
            voicemail: self.voicemail,
            follow_me: text(self.follow_me),
            dnd: self.dnd.map(|d| d.to_string()),
            mobile_on_no_answer: self.mobile_on_no_answer,
            mobile_on_dnd: self.mobile_on_dnd,
            mobile_on_unreachable: self.mobile_on_unreachable,
            rules: self
                .rules
                .into_iter()
                .map(|r| RuleDraft {
                    active: r.active,
                    when: r.when,
                    calls: r.calls,
                    presentation: r.presentation,
                    kind: r.kind,
                    target: text(r.number),
                })
                .collect(),
        }
    }
}

impl Rule {
    fn of(r: &ForwardRule) -> Rule {
        Rule {
            active: r.active,
            when: r.when.code().to_owned(),
            calls: r.calls.code().to_owned(),
            presentation: r.presentation.code().to_owned(),
            kind: r.target.kind().to_owned(),
            number: r.target.number().map(str::to_owned),
        }
    }
}

impl Resource for Forwarding {
    type Change = ForwardingChange;

    async fn current(state: &HttpState, caller: &Caller, number: &str) -> Result<Forwarding, Problem> {
        match state.services.forwarding.program(&caller.actor, number).await {
            Ok(p) => Ok(Forwarding::of(&p)),
            Err(e) => Err(Problem::from_service(&caller.tr, e)),
        }
    }

    fn change(self, caller: &Caller, _number: &str) -> Result<ForwardingChange, Problem> {
        self.check_form(caller)?;
        Ok(self.into_change())
    }

    async fn write(
        state: &HttpState,
        caller: &Caller,
        number: &str,
        change: ForwardingChange,
    ) -> Result<(), Problem> {
        let saved = state.services.forwarding.save(&caller.actor, number, change).await;
        saved.map(|_| ()).map_err(|e| Problem::from_service(&caller.tr, e))
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "forwarding_get", path = "/api/v1/extensions/{number}/forwarding", tag = "extensions",
    params(("number" = String, Path, description = "The extension's number")),
    responses((status = 200, body = Forwarding, headers(("ETag" = String))), (status = 401, body = schema::ProblemDoc), (status = 403, body = schema::ProblemDoc), (status = 404, body = schema::ProblemDoc)),
    security(("bearer" = ["extensions:read"]))))]
pub async fn get(call: ApiCall) -> Response {
    read::<Forwarding>(&call, call.param("number")).await
}

#[cfg_attr(feature = "openapi", utoipa::path(put, operation_id = "forwarding_put", path = "/api/v1/extensions/{number}/forwarding", tag = "extensions",
    params(("number" = String, Path, description = "The extension's number"), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on")),
    request_body(content = Forwarding, description = "The whole forwarding: a number or announcement not given is off"),
    responses((status = 200, body = Forwarding, headers(("ETag" = String))), (status = 401, body = schema::ProblemDoc), (status = 403, body = schema::ProblemDoc), (status = 404, body = schema::ProblemDoc), (status = 412, body = schema::ProblemDoc), (status = 415, body = schema::ProblemDoc), (status = 422, body = schema::ProblemDoc)),
    security(("bearer" = ["extensions:write"]))))]
pub async fn put(call: ApiCall) -> Response {
    replace::<Forwarding>(&call, call.param("number"), false).await
}

#[cfg_attr(feature = "openapi", utoipa::path(patch, operation_id = "forwarding_patch", path = "/api/v1/extensions/{number}/forwarding", tag = "extensions",
    params(("number" = String, Path, description = "The extension's number"), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on")),
    request_body(content = schema::ForwardingPatch, content_type = "application/merge-patch+json", description = "JSON Merge Patch (RFC 7396): only the fields given change; `rules`, given, replaces the list"),
    responses((status = 200, body = Forwarding, headers(("ETag" = String))), (status = 401, body = schema::ProblemDoc), (status = 403, body = schema::ProblemDoc), (status = 404, body = schema::ProblemDoc), (status = 412, body = schema::ProblemDoc), (status = 415, body = schema::ProblemDoc), (status = 422, body = schema::ProblemDoc)),
    security(("bearer" = ["extensions:write"]))))]
pub async fn patch(call: ApiCall) -> Response {
    replace::<Forwarding>(&call, call.param("number"), true).await
}
