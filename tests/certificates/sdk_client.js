// The official `verifalia` SDK logging in with a client certificate (its `cert` + `key` configuration, which
// makes it send no Authorization header), printing what it got as JSON.
// Usage: node sdk_client.js; environment: VERIFALIA_BASE_URIS (comma-separated), VERIFALIA_CERT_FILE,
// VERIFALIA_KEY_FILE, and NODE_EXTRA_CA_CERTS naming the CA of the nodes' certificate.
'use strict';

const fs = require('fs');
const { VerifaliaRestClient } = require('verifalia');

async function main() {
    const verifalia = new VerifaliaRestClient({
        cert: fs.readFileSync(process.env.VERIFALIA_CERT_FILE),
        key: fs.readFileSync(process.env.VERIFALIA_KEY_FILE),
        baseUris: process.env.VERIFALIA_BASE_URIS.split(','),
    });
    try {
        const balance = await verifalia.credits.getBalance();
        const job = await verifalia.emailValidations.submit(['alice@postfix.mailfarm.net', 'nobody@postfix.mailfarm.net']);
        return {
            creditPacks: balance.creditPacks,
            owner: job.overview.owner,
            status: job.overview.status,
            entries: job.entries.map((entry) => entry.status),
        };
    } catch (error) {
        return { error: error.constructor.name };
    }
}

main().then((result) => process.stdout.write(JSON.stringify(result)));
