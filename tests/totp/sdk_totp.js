// Logs in with the official `verifalia` SDK's BearerAuthenticator and a TOTP provider, then reads the
// credit balance, and prints the outcome as JSON: the balance or the error thrown, and the codes provided.
// Usage: node sdk_totp.js <right|wrong-then-right|wrong>
//   right: every code is the current one; wrong-then-right: the first code is wrong, the next ones right;
//   wrong: every code is wrong.
// Environment: VERIFALIA_BASE_URIS (comma-separated), VERIFALIA_USERNAME, VERIFALIA_PASSWORD,
// VERIFALIA_TOTP_SECRET (base32); NODE_PATH holds the SDK (tests/sdk/node_modules).
'use strict';

const crypto = require('crypto');
const verifalia = require('verifalia');

// RFC 4648 §6: base32, 5 bits per character.
function base32Decode(text) {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    let bits = '';
    for (const character of text.replace(/=+$/, '')) {
        bits += alphabet.indexOf(character).toString(2).padStart(5, '0');
    }
    const bytes = [];
    for (let index = 0; index + 8 <= bits.length; index += 8) {
        bytes.push(parseInt(bits.slice(index, index + 8), 2));
    }
    return Buffer.from(bytes);
}

// RFC 6238 §4: TOTP is HOTP over T = floor(unix time / 30); RFC 4226 §5.3: HMAC-SHA-1, dynamic truncation.
function totp(secret, time) {
    const counter = Buffer.alloc(8);
    counter.writeBigUInt64BE(BigInt(Math.floor(time / 30)));
    const digest = crypto.createHmac('sha1', base32Decode(secret)).update(counter).digest();
    const offset = digest[digest.length - 1] & 0x0f;
    const binary = digest.readUInt32BE(offset) & 0x7fffffff;
    return String(binary % 1000000).padStart(6, '0');
}

// For each mode: whether the provider's code number `index` (from 0) is the right one.
const MODES = {
    right: () => true,
    'wrong-then-right': (index) => index > 0,
    wrong: () => false,
};

async function main() {
    const isRight = MODES[process.argv[2]];
    if (!isRight) {
        throw new Error(`unknown mode: ${process.argv[2]}`);
    }
    const secret = process.env.VERIFALIA_TOTP_SECRET;
    const provided = [];
    const totpProvider = {
        async provideTotp() {
            const right = totp(secret, Date.now() / 1000);
            const wrong = String((Number(right) + 1) % 1000000).padStart(6, '0');
            const code = isRight(provided.length) ? right : wrong;
            provided.push(code);
            return code;
        },
    };
    const client = new verifalia.VerifaliaRestClient({
        authenticator: new verifalia.BearerAuthenticator(
            process.env.VERIFALIA_USERNAME,
            process.env.VERIFALIA_PASSWORD,
            totpProvider,
        ),
        baseUris: process.env.VERIFALIA_BASE_URIS.split(','),
    });
    try {
        const balance = await client.credits.getBalance();
        return { outcome: 'balance', balance, provided };
    } catch (error) {
        return {
            outcome: 'thrown',
            error: error.constructor.name,
            message: error.message,
            authenticationError: error instanceof verifalia.AuthenticationError,
            authorizationError: error instanceof verifalia.AuthorizationError,
            status: error.response ? error.response.status : null,
            provided,
        };
    }
}

main().then(
    (result) => process.stdout.write(JSON.stringify(result)),
    (error) => {
        process.stderr.write(String(error && error.stack ? error.stack : error));
        process.exit(1);
    },
);
