// Drives a DynamoDB endpoint with the AWS SDK for JavaScript v3 as an application would, using
// the members DynamoDB added since 2023 (issue 16): a multi-attribute GSI key, OnDemandThroughput,
// WarmThroughput, TableClass, DeletionProtectionEnabled, table ARNs as TableName, and the
// Streams ShardFilter. Prints one JSON object of what came back; the Python test asserts on it.
// Usage: node new_members.mjs ENDPOINT TABLE_NAME
import {
  CreateTableCommand, DeleteTableCommand, DescribeTableCommand, DynamoDBClient, PutItemCommand,
  QueryCommand, UpdateTableCommand,
} from "@aws-sdk/client-dynamodb";
import {
  DescribeStreamCommand, DynamoDBStreamsClient,
} from "@aws-sdk/client-dynamodb-streams";

const [endpoint, name] = process.argv.slice(2);
const config = {
  endpoint, region: "us-east-1", maxAttempts: 1,
  credentials: {accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
};
const ddb = new DynamoDBClient(config);
const streams = new DynamoDBStreamsClient(config);
const out = {};
const S = (s) => ({S: s});

const created = await ddb.send(new CreateTableCommand({
  TableName: name,
  BillingMode: "PAY_PER_REQUEST",
  TableClass: "STANDARD_INFREQUENT_ACCESS",
  DeletionProtectionEnabled: true,
  OnDemandThroughput: {MaxReadRequestUnits: 100, MaxWriteRequestUnits: 200},
  WarmThroughput: {ReadUnitsPerSecond: 12001},
  StreamSpecification: {StreamEnabled: true, StreamViewType: "KEYS_ONLY"},
  AttributeDefinitions: ["pk", "tenant", "region", "day", "seq"].map(
      (n) => ({AttributeName: n, AttributeType: "S"})),
  KeySchema: [{AttributeName: "pk", KeyType: "HASH"}],
  GlobalSecondaryIndexes: [{
    IndexName: "by_tenant",
    KeySchema: [
      {AttributeName: "tenant", KeyType: "HASH"}, {AttributeName: "region", KeyType: "HASH"},
      {AttributeName: "day", KeyType: "RANGE"}, {AttributeName: "seq", KeyType: "RANGE"},
    ],
    Projection: {ProjectionType: "ALL"},
    OnDemandThroughput: {MaxReadRequestUnits: 50},
  }],
}));
const arn = created.TableDescription.TableArn;
out.arn = arn;

// Items written by ARN; one lacks a key attribute of the index and stays out of it.
for (const [pk, seq] of [["a", "1"], ["b", "2"], ["c", "3"]]) {
  await ddb.send(new PutItemCommand({
    TableName: arn,
    Item: {pk: S(pk), tenant: S("t1"), region: S("eu"), day: S("2026-12-03"), seq: S(seq)},
  }));
}
await ddb.send(new PutItemCommand({TableName: arn, Item: {pk: S("d"), tenant: S("t1")}}));

const q = await ddb.send(new QueryCommand({
  TableName: arn, IndexName: "by_tenant",
  KeyConditionExpression: "tenant = :t AND #r = :r AND #d = :d AND seq >= :s",
  ExpressionAttributeNames: {"#r": "region", "#d": "day"},
  ExpressionAttributeValues: {":t": S("t1"), ":r": S("eu"), ":d": S("2026-12-03"), ":s": S("2")},
  ScanIndexForward: false,
}));
out.query = q.Items.map((i) => i.pk.S);

const d = (await ddb.send(new DescribeTableCommand({TableName: arn}))).Table;
out.describe = {
  TableClass: d.TableClassSummary?.TableClass,
  DeletionProtectionEnabled: d.DeletionProtectionEnabled,
  OnDemandThroughput: d.OnDemandThroughput,
  WarmThroughput: d.WarmThroughput,
  IndexKeySchema: d.GlobalSecondaryIndexes[0].KeySchema,
  IndexOnDemandThroughput: d.GlobalSecondaryIndexes[0].OnDemandThroughput,
};

try {
  await ddb.send(new DeleteTableCommand({TableName: arn}));
  out.protectedDelete = "deleted";
} catch (e) {
  out.protectedDelete = {name: e.name, message: e.message};
}

// The stream: its first shard has closed (the server rotates every 2 records) and has a child.
const stream = (await streams.send(new DescribeStreamCommand({StreamArn: d.LatestStreamArn})))
    .StreamDescription;
out.shardCount = stream.Shards.length;
const first = stream.Shards.find((s) => !s.ParentShardId);
const kids = (await streams.send(new DescribeStreamCommand({
  StreamArn: d.LatestStreamArn, ShardFilter: {Type: "CHILD_SHARDS", ShardId: first.ShardId},
}))).StreamDescription.Shards;
out.children = kids.map((s) => ({parent: s.ParentShardId, isChildOfFirst: s.ParentShardId === first.ShardId}));
out.firstClosed = Boolean(first.SequenceNumberRange?.EndingSequenceNumber);

await ddb.send(new UpdateTableCommand({TableName: arn, DeletionProtectionEnabled: false}));
await ddb.send(new DeleteTableCommand({TableName: arn}));
out.deleted = true;
console.log(JSON.stringify(out));
