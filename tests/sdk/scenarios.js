// Runs one scenario of the official `verifalia` SDK against live nodes and prints its outcome as JSON.
// Usage: node scenarios.js <scenario> [args...]
// Environment: VERIFALIA_BASE_URIS (comma-separated), VERIFALIA_USERNAME, VERIFALIA_PASSWORD.
'use strict';

const {
    VerifaliaRestClient,
    BearerAuthenticator,
    WaitOptions,
    DateBetweenPredicate,
    MimeContentType_TextCsv,
} = require('verifalia');

const baseUris = process.env.VERIFALIA_BASE_URIS.split(',');
const username = process.env.VERIFALIA_USERNAME;
const password = process.env.VERIFALIA_PASSWORD;

function basicClient() {
    return new VerifaliaRestClient({ username, password, baseUris });
}

function bearerClient() {
    return new VerifaliaRestClient({ authenticator: new BearerAuthenticator(username, password), baseUris });
}

function summary(validation) {
    if (validation === null) {
        return null;
    }
    return {
        overview: validation.overview,
        entries: validation.entries.map((entry) => ({
            index: entry.index,
            inputData: entry.inputData,
            status: entry.status,
            classification: entry.classification,
            completedOn: entry.completedOn,
            duplicateOf: entry.duplicateOf,
            custom: entry.custom,
        })),
    };
}

async function readStream(stream) {
    const chunks = [];
    for await (const chunk of stream) {
        chunks.push(Buffer.from(chunk));
    }
    return Buffer.concat(chunks).toString('utf8');
}

async function collect(iterable) {
    const items = [];
    for await (const item of iterable) {
        items.push(item);
    }
    return items;
}

const scenarios = {
    // submit() with no wait options: one long-polling request that returns the completed job.
    async submitDefault(addresses) {
        return summary(await basicClient().emailValidations.submit(addresses));
    },

    // submit() with explicit WaitOptions: no server-side wait, client-side polling with progress updates.
    async submitWaitOptions(addresses) {
        const options = new WaitOptions();
        options.submissionWaitTime = 0;
        options.pollWaitTime = 200;
        const progress = [];
        options.progress = (overview) => progress.push(overview.status);
        const validation = await basicClient().emailValidations.submit(
            { entries: addresses.map((inputData, index) => ({ inputData, custom: `row-${index}` })), deduplication: 'Safe' },
            options,
        );
        return { ...summary(validation), progress };
    },

    // submit() of a CSV file (multipart upload; the SDK adds an unknown `contentType` settings key).
    async submitFile(addresses) {
        const rows = ['email,name', ...addresses.map((address, index) => `${address},person ${index}`)];
        const file = Buffer.from(rows.join('\r\n'), 'utf8');
        const validation = await basicClient().emailValidations.submit({
            file,
            contentType: MimeContentType_TextCsv,
            startingRow: 1,
            column: 0,
            quality: 'High',
        });
        return summary(validation);
    },

    // get() of a job submitted without waiting.
    async get(addresses) {
        const client = basicClient();
        const submitted = await client.emailValidations.submit(addresses, WaitOptions.noWait);
        const fetched = await client.emailValidations.get(submitted.overview.id);
        return { submittedStatus: submitted.overview.status, ...summary(fetched) };
    },

    // get() of an unknown job.
    async getUnknown(id) {
        return { result: await basicClient().emailValidations.get(id) };
    },

    // export() of a completed job as CSV.
    async exportCsv(addresses) {
        const client = basicClient();
        const validation = await client.emailValidations.submit(addresses);
        const csv = await readStream(await client.emailValidations.export(validation.overview.id, MimeContentType_TextCsv));
        return { id: validation.overview.id, csv };
    },

    // delete() of a completed job, then get() and delete() of the gone job.
    async delete(addresses) {
        const client = basicClient();
        const validation = await client.emailValidations.submit(addresses);
        await client.emailValidations.delete(validation.overview.id);
        const after = await client.emailValidations.get(validation.overview.id);
        await client.emailValidations.delete(validation.overview.id);
        return { id: validation.overview.id, after };
    },

    // list() with no options, then with a creation-date filter.
    async list() {
        const client = basicClient();
        const all = await collect(client.emailValidations.list());
        const today = new Date();
        const filtered = await collect(
            client.emailValidations.list({ createdOn: new DateBetweenPredicate(today, today) }),
        );
        return { all: all.map((overview) => overview.id), filtered: filtered.map((overview) => overview.id) };
    },

    async balance() {
        return basicClient().credits.getBalance();
    },

    async dailyUsage() {
        const since = new Date(Date.now() - 7 * 86400000);
        const until = new Date(Date.now() + 86400000);
        return collect(basicClient().credits.listDailyUsages({ dateFilter: new DateBetweenPredicate(since, until) }));
    },

    // Bearer authentication: a token from POST /auth/tokens, then a submission and a balance with it.
    async bearer(addresses) {
        const client = bearerClient();
        const validation = await client.emailValidations.submit(addresses);
        const balance = await client.credits.getBalance();
        return { ...summary(validation), balance };
    },

    // Several calls in a row, so that every base URI is tried at least once.
    async failover(addresses) {
        const client = basicClient();
        const balances = [];
        for (let round = 0; round < 4; round++) {
            balances.push(await client.credits.getBalance());
        }
        const validation = await client.emailValidations.submit(addresses);
        return { balances, ...summary(validation) };
    },
};

async function main() {
    const [name, ...args] = process.argv.slice(2);
    const scenario = scenarios[name];
    if (!scenario) {
        throw new Error(`unknown scenario ${name}`);
    }
    const parsed = args.length === 1 && args[0].startsWith('[') ? [JSON.parse(args[0])] : args;
    const outcome = await scenario(...parsed);
    process.stdout.write(JSON.stringify(outcome === undefined ? null : outcome));
}

main().catch((error) => {
    process.stderr.write(`${error.name}: ${error.message}\n${error.stack}\n`);
    process.exit(1);
});
