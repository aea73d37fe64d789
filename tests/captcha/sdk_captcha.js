// Submits one job carrying a CAPTCHA with the official `verifalia` SDK and prints the outcome as JSON.
// Usage: node sdk_captcha.js <provider constant name> <token> <address>
// Environment: VERIFALIA_BASE_URIS (comma-separated), VERIFALIA_USERNAME, VERIFALIA_PASSWORD; NODE_PATH
// holds the SDK (tests/sdk/node_modules).
'use strict';

const verifalia = require('verifalia');

async function main() {
    const [constant, token, inputData] = process.argv.slice(2);
    const client = new verifalia.VerifaliaRestClient({
        username: process.env.VERIFALIA_USERNAME,
        password: process.env.VERIFALIA_PASSWORD,
        baseUris: process.env.VERIFALIA_BASE_URIS.split(','),
    });
    const request = { entries: [{ inputData }], captcha: { provider: verifalia[constant], token } };
    try {
        const validation = await client.emailValidations.submit(request);
        return { outcome: 'accepted', status: validation.overview.status, provider: verifalia[constant] };
    } catch (error) {
        return {
            outcome: 'thrown',
            error: error.constructor.name,
            captchaValidationError: error instanceof verifalia.CaptchaValidationError,
            authenticationError: error instanceof verifalia.AuthenticationError,
            message: error.message,
            status: error.response ? error.response.status : null,
        };
    }
}

main().then(
    (result) => process.stdout.write(JSON.stringify(result)),
    (error) => {
        process.stderr.write(`${error.stack}\n`);
        process.exit(1);
    },
);
