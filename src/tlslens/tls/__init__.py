"""tlslens.tls"""
