//! Microsoft Graph: the token endpoint and `/v1.0/users`.

use std::fmt::Write;

use wiremock::{Request, Respond, ResponseTemplate};

pub(crate) const TOKEN: &str =
    r#"{"token_type":"Bearer","expires_in":3599,"access_token":"opaque-loadgen-token"}"#;

/// `GET /v1.0/users`: `$top` users (100 by default, 999 at most, as Graph) from `$skiptoken`.
pub(crate) struct Users {
    pub(crate) total: usize,
    pub(crate) base: String,
}

impl Respond for Users {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let (top, start) = crate::window(request, "$top", 100, 999, "$skiptoken");
        let end = (start + top).min(self.total);
        let mut out = String::with_capacity(end.saturating_sub(start) * 700 + 300);
        let base = &self.base;
        let _ = write!(out, r#"{{"@odata.context":"{base}/v1.0/$metadata#users""#);
        if end < self.total {
            let _ = write!(
                out,
                r#","@odata.nextLink":"{base}/v1.0/users?$top={top}&$skiptoken={end}""#
            );
        }
        out.push_str(r#","value":["#);
        for i in start..end {
            if i > start {
                out.push(',');
            }
            user(&mut out, i);
        }
        out.push_str("]}");
        ResponseTemplate::new(200).set_body_raw(out, "application/json")
    }
}

/// User `i` with the properties a `$select` of the sync's attributes returns.
fn user(out: &mut String, i: usize) {
    let d = i % 40;
    // Numbers are unique per user, as in a real tenant.
    let n = i;
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        r#"{{"id":"{i:08x}-1b7d-4e8a-9f6c-2d5b8e1a7c03","userPrincipalName":"user{i}@example.com","mail":"user{i}@example.com","givenName":"Given{i}","surname":"Surname{i}","displayName":"Given{i} Surname{i}","department":"Dept {d}","officeLocation":"Building {d}","city":"City {d}","streetAddress":"{i} Example Street","postalCode":"10118","state":"NY","country":"US","businessPhones":["+1 212 {n:07}"],"mobilePhone":"+1 917 {n:07}","faxNumber":null,"jobTitle":"Engineer","employeeId":"{i}","accountEnabled":true,"onPremisesSamAccountName":"user{i}","userType":"Member"}}"#
    );
}
