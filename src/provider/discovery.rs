//! The discovery document (OpenID Connect Discovery 1.0 §3, RFC 8414), built on
//! openidconnect's provider metadata type with the members it does not know added.

use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClientAuthMethod, CoreGrantType, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm, CoreResponseMode,
    CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalProviderMetadata, AuthUrl, AuthenticationContextClass, IssuerUrl, JsonWebKeySetUrl, ProviderMetadata,
    ResponseTypes, Scope, TokenUrl, UserInfoUrl,
};
use serde::{Deserialize, Serialize};

use super::claims::{ACR_MULTI_FACTOR, ACR_SINGLE_FACTOR};
use super::issuer;
use crate::domain::client::SCOPES;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MoreMetadata {
    end_session_endpoint: String,
    revocation_endpoint: String,
    revocation_endpoint_auth_methods_supported: Vec<String>,
    code_challenge_methods_supported: Vec<String>,
    /// RFC 9207: the authorization response carries `iss` (mix-up defence for clients).
    authorization_response_iss_parameter_supported: bool,
    backchannel_logout_supported: bool,
    backchannel_logout_session_supported: bool,
}
impl AdditionalProviderMetadata for MoreMetadata {}

pub type Metadata = ProviderMetadata<
    MoreMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// The paths of the endpoints, below the issuer.
pub const AUTHORIZE: &str = "/oauth2/authorize";
pub const TOKEN: &str = "/oauth2/token";
pub const USERINFO: &str = "/oauth2/userinfo";
pub const JWKS: &str = "/oauth2/jwks";
pub const REVOKE: &str = "/oauth2/revoke";
pub const END_SESSION: &str = "/oauth2/end_session";

pub fn metadata(state: &AppState) -> AppResult<Metadata> {
    let base = issuer(state);
    let bad = |e: url::ParseError| AppError::Internal(anyhow::anyhow!("public URL: {e}"));
    let more = MoreMetadata {
        end_session_endpoint: format!("{base}{END_SESSION}"),
        revocation_endpoint: format!("{base}{REVOKE}"),
        revocation_endpoint_auth_methods_supported: auth_methods().iter().map(|m| method_name(m).into()).collect(),
        code_challenge_methods_supported: vec!["S256".into()],
        authorization_response_iss_parameter_supported: true,
        backchannel_logout_supported: true,
        backchannel_logout_session_supported: true,
    };
    let claims = [
        "sub",
        "iss",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "acr",
        "amr",
        "sid",
        "email",
        "email_verified",
        "name",
        "user_type",
        "groups",
    ];
    Ok(Metadata::new(
        IssuerUrl::new(base.clone()).map_err(bad)?,
        AuthUrl::new(format!("{base}{AUTHORIZE}")).map_err(bad)?,
        JsonWebKeySetUrl::new(format!("{base}{JWKS}")).map_err(bad)?,
        vec![ResponseTypes::new(vec![CoreResponseType::Code])],
        vec![CoreSubjectIdentifierType::Public, CoreSubjectIdentifierType::Pairwise],
        vec![
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            CoreJwsSigningAlgorithm::EdDsa,
        ],
        more,
    )
    .set_token_endpoint(Some(TokenUrl::new(format!("{base}{TOKEN}")).map_err(bad)?))
    .set_userinfo_endpoint(Some(UserInfoUrl::new(format!("{base}{USERINFO}")).map_err(bad)?))
    .set_scopes_supported(Some(SCOPES.iter().map(|s| Scope::new(s.to_string())).collect()))
    .set_response_modes_supported(Some(vec![CoreResponseMode::Query]))
    .set_grant_types_supported(Some(vec![CoreGrantType::AuthorizationCode, CoreGrantType::RefreshToken]))
    .set_acr_values_supported(Some(vec![
        AuthenticationContextClass::new(ACR_SINGLE_FACTOR.into()),
        AuthenticationContextClass::new(ACR_MULTI_FACTOR.into()),
    ]))
    .set_token_endpoint_auth_methods_supported(Some(auth_methods()))
    .set_claims_supported(Some(claims.iter().map(|c| CoreClaimName::new(c.to_string())).collect()))
    .set_claims_parameter_supported(Some(false))
    .set_request_parameter_supported(Some(false))
    .set_request_uri_parameter_supported(Some(false)))
}

fn auth_methods() -> Vec<CoreClientAuthMethod> {
    vec![CoreClientAuthMethod::ClientSecretBasic, CoreClientAuthMethod::ClientSecretPost, CoreClientAuthMethod::None]
}

fn method_name(m: &CoreClientAuthMethod) -> &'static str {
    match m {
        CoreClientAuthMethod::ClientSecretBasic => "client_secret_basic",
        CoreClientAuthMethod::ClientSecretPost => "client_secret_post",
        _ => "none",
    }
}
