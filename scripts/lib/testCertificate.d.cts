export declare function loopbackCertificate(keepIn?: string): {
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
};
