export declare function sharedAppInsightsDir(): string;
