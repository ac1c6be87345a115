"""tlslens.x509"""
