"""CAPTCHA verification against the providers' siteverify endpoints, apart from any API surface.

`config` names the providers and what a node knows of each (secret, verify URL, the reCAPTCHA v3 minimum
score); `siteverify` is the wire protocol (the form sent, the JSON answer read into a `Verdict`);
`verifier.CaptchaVerifier` is the HTTP client the application layer asks. Nothing here imports `api/`.
"""
