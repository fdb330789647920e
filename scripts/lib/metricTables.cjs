// Application Insights' metrics tables for the Logs API stand-in (../shared/appinsights/), which has none:
// customMetrics (classic) and AppMetrics (workspace), with the columns of Azure Monitor's table reference,
// added to the stand-in's schema before its parser and evaluator first load it; and their rows, made of the
// MetricData envelopes that the real @azure/monitor-opentelemetry-exporter sent, the way Application
// Insights stores such a point: one row each, the point's sum in value and valueSum (Sum), its count in
// valueCount (ItemCount), its min and max, and its attributes in customDimensions (Properties). The
// exporter sends a histogram's sum and count, never its buckets.
//
// Load the stand-in through standIn() rather than requiring logs-api.js or kql.js: both read the schema
// when they are first loaded.
const { readFileSync, readdirSync } = require('node:fs');
const path = require('node:path');
const { sharedAppInsightsDir } = require('./shared.cjs');

const SHARED = sharedAppInsightsDir();

const CLASSIC_COMMON =
  'operation_Name:string,operation_Id:string,operation_ParentId:string,operation_SyntheticSource:string,' +
  'session_Id:string,user_Id:string,user_AuthenticatedId:string,user_AccountId:string,' +
  'application_Version:string,client_Type:string,client_Model:string,client_OS:string,client_IP:string,' +
  'client_City:string,client_StateOrProvince:string,client_CountryOrRegion:string,client_Browser:string,' +
  'cloud_RoleName:string,cloud_RoleInstance:string,appId:string,appName:string,iKey:string,' +
  'sdkVersion:string,itemId:string,itemType:string,itemCount:int';
const WORKSPACE_COMMON =
  'TenantId:string,OperationName:string,OperationId:string,ParentId:string,SyntheticSource:string,' +
  'SessionId:string,UserId:string,UserAuthenticatedId:string,UserAccountId:string,AppVersion:string,' +
  'AppRoleName:string,AppRoleInstance:string,ClientType:string,ClientModel:string,ClientOS:string,' +
  'ClientIP:string,ClientCity:string,ClientStateOrProvince:string,ClientCountryOrRegion:string,' +
  'ClientBrowser:string,ResourceGUID:string,IKey:string,SDKVersion:string,SourceSystem:string,' +
  'Type:string,_ResourceId:string';
const METRIC_TABLES = {
  customMetrics:
    'timestamp:datetime,name:string,value:real,valueCount:int,valueSum:real,valueMin:real,valueMax:real,' +
    `valueStdDev:real,customDimensions:dynamic,${CLASSIC_COMMON}`,
  AppMetrics:
    'TimeGenerated:datetime,Name:string,Sum:real,Min:real,Max:real,ItemCount:int,Properties:dynamic,' +
    WORKSPACE_COMMON,
};

const columns = (spec) =>
  spec.split(',').map((c) => {
    const [name, type] = c.split(':');
    return { name, type };
  });

/** Adds the metrics tables to the stand-in's schema (once), before anything loads the parser. */
function addMetricTables() {
  const schema = require(path.join(SHARED, 'schema.js'));
  if (schema.tables.customMetrics) return schema;
  for (const [table, spec] of Object.entries(METRIC_TABLES)) schema.tables[table] = columns(spec);
  schema.classic.push('customMetrics');
  schema.workspace.push('AppMetrics');
  schema.workspaceGenAI.push('AppMetrics');
  return schema;
}

/** The stand-in's modules, its schema holding the metrics tables. */
function standIn() {
  const schema = addMetricTables();
  return {
    schema,
    logsApi: require(path.join(SHARED, 'logs-api.js')),
    kql: require(path.join(SHARED, 'kql.js')),
    ingestion: require(path.join(SHARED, 'ingest.js')),
  };
}

function envelopesOf(dirs) {
  const out = [];
  for (const dir of dirs)
    for (const file of readdirSync(dir).sort())
      if (file.endsWith('.json')) out.push(...JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
  return out;
}

/** One MetricData envelope's rows: { customMetrics: row, AppMetrics: row } per point. */
function metricRows(e, offsetMs) {
  const bd = e.data.baseData;
  const tags = e.tags || {};
  const time = new Date(Date.parse(e.time) + offsetMs).toISOString();
  const properties = bd.properties || {};
  return (bd.metrics || []).map((m) => {
    const count = m.count ?? 1;
    return {
      customMetrics: {
        timestamp: time,
        name: m.name,
        value: m.value,
        valueCount: count,
        valueSum: m.value,
        valueMin: m.min ?? m.value,
        valueMax: m.max ?? m.value,
        valueStdDev: m.stdDev ?? 0,
        customDimensions: properties,
        cloud_RoleName: tags['ai.cloud.role'] || null,
        cloud_RoleInstance: tags['ai.cloud.roleInstance'] || null,
        application_Version: tags['ai.application.ver'] || null,
        iKey: e.iKey,
        sdkVersion: tags['ai.internal.sdkVersion'] || null,
        itemType: 'customMetric',
        itemCount: 1,
      },
      AppMetrics: {
        TimeGenerated: time,
        Name: m.name,
        Sum: m.value,
        Min: m.min ?? m.value,
        Max: m.max ?? m.value,
        ItemCount: count,
        Properties: properties,
        AppRoleName: tags['ai.cloud.role'] || null,
        AppRoleInstance: tags['ai.cloud.roleInstance'] || null,
        AppVersion: tags['ai.application.ver'] || null,
        IKey: e.iKey,
        SDKVersion: tags['ai.internal.sdkVersion'] || null,
        SourceSystem: 'Azure',
        Type: 'AppMetrics',
      },
    };
  });
}

/**
 * ingest.js's rows of the envelope folders, with the metrics tables' rows beside them, moved in time the
 * same way (the newest envelope lands at `newest`, five minutes ago by default).
 */
function ingestWithMetrics(dirs, newest = Date.now() - 5 * 60 * 1000) {
  const { schema, ingestion } = standIn();
  const rows = ingestion.ingest(dirs, newest);
  const envelopes = envelopesOf(dirs);
  const offset = newest - Math.max(...envelopes.map((e) => Date.parse(e.time)));
  for (const table of Object.keys(METRIC_TABLES)) rows[table] = [];
  for (const e of envelopes) {
    if (e.data?.baseType !== 'MetricData') continue;
    // The trace exporter's resource record, which ingestion reads for the resource (not a measurement).
    if (e.data.baseData.metrics?.every((m) => m.name === '_OTELRESOURCE_')) continue;
    for (const byTable of metricRows(e, offset))
      for (const [table, row] of Object.entries(byTable))
        rows[table].push(schema.tables[table].map((c) => (c.name in row ? row[c.name] : null)));
  }
  return rows;
}

module.exports = { standIn, ingestWithMetrics };
